import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The layers of ../shared/spec/architecture.md ("Layers (imports point down)") and "an import cycle
 * is a bug", checked on the import graph TypeScript itself reads. ESLint's import-x/no-cycle and
 * no-restricted-paths say most of this while one edits, but no-cycle ignores type-only imports, so
 * a cycle closed by an `import type` or an `export type … from` passes the linter: that is why this
 * test exists. It counts every import, re-export and `import('…')`, type-only or not.
 */

const ROOT = path.resolve(__dirname, '..', '..');
/** not part of the graph: dependencies, the data dir, the tests (whose imports of test/ are their own) */
const SKIPPED_AT_ROOT = new Set(['node_modules', '.data', 'test']);

interface ImportEdge {
  /** both paths relative to the project root, with forward slashes */
  from: string;
  to: string;
  /** erased from the emitted JavaScript: `import type`, `export type … from`, `import('…').T` */
  typeOnly: boolean;
}

/** A path relative to the root, with forward slashes. */
const relative = (absolute: string) => path.relative(ROOT, absolute).split(path.sep).join('/');

/** Every .ts/.tsx file of ours outside the skipped folders, relative to the root. */
function sourceFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const skipped =
        entry.name.startsWith('.') ||
        entry.name === 'node_modules' ||
        (dir === ROOT && SKIPPED_AT_ROOT.has(entry.name));
      return skipped ? [] : sourceFiles(full);
    }
    return /\.tsx?$/.test(entry.name) ? [relative(full)] : [];
  });
}

function compilerOptions(tsconfig: string): ts.CompilerOptions {
  const read = ts.readConfigFile(tsconfig, ts.sys.readFile);
  assert.ifError(read.error);
  return ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfig)).options;
}

/** The module specifiers a file names, and whether each use of one is type-only. */
function specifiersOf(file: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const allTypes = (elements: readonly (ts.ImportSpecifier | ts.ExportSpecifier)[]) =>
    elements.length > 0 && elements.every((element) => element.isTypeOnly);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (!clause.name && bindings !== undefined && ts.isNamedImports(bindings) && allTypes(bindings.elements)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const typeOnly =
        node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && allTypes(clause.elements));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression)) found.push({ specifier: expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal)) {
        found.push({ specifier: argument.literal.text, typeOnly: true });
      }
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
      const dynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const required = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (dynamicImport || required) found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The project's import graph: every import of ours, resolved as the compiler resolves it. */
function projectImportGraph(): { files: string[]; edges: ImportEdge[]; unresolved: string[] } {
  const rootOptions = compilerOptions(path.join(ROOT, 'tsconfig.json'));
  const webOptions = compilerOptions(path.join(ROOT, 'web', 'tsconfig.json'));
  const files = sourceFiles();
  const edges: ImportEdge[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    const absolute = path.join(ROOT, file);
    const text = readFileSync(absolute, 'utf8');
    const found = specifiersOf(file, text);
    // The compiler's own pre-processor must find no module the walk above missed.
    const named = new Set(found.map((entry) => entry.specifier));
    const preProcessed = ts.preProcessFile(text, true, true).importedFiles.map((entry) => entry.fileName);
    assert.deepEqual(
      preProcessed.filter((specifier) => !named.has(specifier)),
      [],
      `${file}: imports the graph would miss`,
    );
    const options = file.startsWith('web/') ? webOptions : rootOptions;
    for (const { specifier, typeOnly } of found) {
      const resolved = ts.resolveModuleName(specifier, absolute, options, ts.sys).resolvedModule;
      const asset = path.resolve(path.dirname(absolute), specifier);
      if (!resolved && specifier.startsWith('.') && existsSync(asset) && statSync(asset).isFile()) {
        edges.push({ from: file, to: relative(asset), typeOnly: false }); // a stylesheet the bundler takes in
        continue;
      }
      if (!resolved) {
        if (specifier.startsWith('.')) unresolved.push(`${file}: ${specifier}`);
        continue; // a package (a Node built-in, or one TypeScript finds only through its types)
      }
      const target = relative(resolved.resolvedFileName);
      if (resolved.isExternalLibraryImport || target.startsWith('..') || target.includes('node_modules/')) continue;
      edges.push({ from: file, to: target, typeOnly });
    }
  }
  return { files, edges, unresolved };
}

/** The strongly connected components of more than one file, or of a file importing itself (Tarjan). */
function importCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    next.set(from, [...(next.get(from) ?? []), to]);
    if (!next.has(to)) next.set(to, []);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node)!) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || next.get(node)!.includes(node)) components.push(component.sort());
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

const folderOf = (file: string) => file.split('/')[0]!;
const GATEWAYS = ['store', 'sandbox', 'llm', 'docs-index'];

/** Each layer rule: the files it is about, and the imports of theirs it forbids, in words. */
const layerRules: { from: string[]; forbids: (edge: ImportEdge) => boolean; rule: string }[] = [
  {
    from: ['contract'],
    forbids: (edge) => folderOf(edge.to) !== 'contract',
    rule: 'contract/ imports nothing of ours',
  },
  {
    from: GATEWAYS,
    forbids: (edge) =>
      ['api', 'executor', 'workflows', 'activities', 'worker', 'web', 'cli'].includes(folderOf(edge.to)),
    rule: 'store/, sandbox/, llm/ and docs-index/ import none of api/, executor/, workflows/, activities/, worker/, web/, cli/',
  },
  {
    from: ['executor'],
    forbids: (edge) => ['api', 'worker', 'web', 'cli'].includes(folderOf(edge.to)),
    rule: 'executor/ imports none of api/, worker/, web/, cli/',
  },
  {
    from: ['workflows'],
    forbids: (edge) =>
      ['api', 'worker', 'web', 'cli', 'store', 'executor'].includes(folderOf(edge.to)) ||
      (folderOf(edge.to) === 'activities' && !edge.typeOnly),
    rule: 'workflows/ import none of api/, worker/, web/, cli/, store/, executor/, and activities/ as types only',
  },
];

/** Every import that breaks a layer rule, or reaches into test/ from outside it, in words. */
function layerViolations(edges: ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const described = `${edge.from} → ${edge.to}${edge.typeOnly ? ' (type-only)' : ''}`;
    for (const { from: folders, forbids, rule } of layerRules) {
      if (folders.includes(from) && forbids(edge)) problems.push(`${described}: ${rule}`);
    }
    if (from !== 'test' && folderOf(edge.to) === 'test')
      problems.push(`${described}: nothing outside test/ imports test/`);
  }
  return problems;
}

describe('the layers and the import graph (type-only imports and re-exports included)', () => {
  let graph: ReturnType<typeof projectImportGraph>;
  before(() => {
    graph = projectImportGraph();
  });

  it('reads every source file of ours, and resolves every relative import', () => {
    for (const folder of ['contract', 'api', 'workflows', 'activities', 'store', 'web', 'cli']) {
      assert.ok(
        graph.files.some((file) => folderOf(file) === folder),
        `no file of ${folder}/ read`,
      );
    }
    assert.ok(!graph.files.some((file) => folderOf(file) === 'test' || file.includes('node_modules/')));
    assert.deepEqual(graph.unresolved, []);
    assert.ok(
      graph.edges.some((edge) => edge.typeOnly),
      'type-only imports are in the graph',
    );
    assert.ok(
      graph.edges.length > graph.files.length,
      `${graph.edges.length} imports among ${graph.files.length} files`,
    );
  });

  it('has no import cycle', () => {
    const cycles = importCycles(graph.edges);
    assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((cycle) => `  ${cycle.join(' ⇄ ')}`).join('\n')}`);
  });

  it('keeps every import pointing down the layers, and none into test/', () => {
    const problems = layerViolations(graph.edges);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('catches a cycle (a type-only one too) and an upward import, on a graph made up for it', () => {
    const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });
    const made = [
      edge('api/routes.ts', 'store/jobs.ts'),
      edge('store/jobs.ts', 'contract/jobs.ts'),
      // a cycle the linter would let through: one of its imports is type-only
      edge('activities/plan.ts', 'llm/gateway.ts'),
      edge('llm/gateway.ts', 'activities/plan.ts', true),
      edge('cli/a.ts', 'cli/b.ts'),
      edge('cli/b.ts', 'cli/c.ts'),
      edge('cli/c.ts', 'cli/a.ts'),
      edge('worker/self.ts', 'worker/self.ts'),
      edge('contract/jobs.ts', 'config/index.ts', true),
      edge('workflows/job.ts', 'activities/plan.ts', true),
      edge('workflows/job.ts', 'activities/register.ts'),
      edge('executor/run.ts', 'api/errors.ts'),
      edge('dev/stack.ts', 'test/helpers/sse.ts'),
    ];
    assert.deepEqual(importCycles(made), [
      ['activities/plan.ts', 'llm/gateway.ts'],
      ['cli/a.ts', 'cli/b.ts', 'cli/c.ts'],
      ['worker/self.ts'],
    ]);
    assert.deepEqual(layerViolations(made), [
      'llm/gateway.ts → activities/plan.ts (type-only): store/, sandbox/, llm/ and docs-index/ import none of api/, executor/, workflows/, activities/, worker/, web/, cli/',
      'contract/jobs.ts → config/index.ts (type-only): contract/ imports nothing of ours',
      'workflows/job.ts → activities/register.ts: workflows/ import none of api/, worker/, web/, cli/, store/, executor/, and activities/ as types only',
      'executor/run.ts → api/errors.ts: executor/ imports none of api/, worker/, web/, cli/',
      'dev/stack.ts → test/helpers/sse.ts: nothing outside test/ imports test/',
    ]);
  });
});
