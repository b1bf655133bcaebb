import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createDocsIndex,
  DocsIndexError,
  missingDependencyDocs,
  type DocSearchResult,
  type DocsIndex,
  type DocsIndexInfo,
  type DocsIndexOptions,
} from '../../docs-index';
import type { DocSnippet } from '../../contract';
import { runtimePackageNames } from '../../sandbox/runtime-packages';
import { provisionedTools } from '../../dev/stack';

const names = (results: DocSearchResult[]) => results.map((result) => result.name);

/**
 * On the real tool runtime. The extraction takes ≈ 1.5–2.5 s here, so each test could afford its
 * own; they share one build (`before`) anyway, and the reuse and concurrency tests build again on
 * purpose.
 */
describe('docs index of the tool runtime', function () {
  this.timeout(180_000);
  const cacheDirs: string[] = [];
  let options: DocsIndexOptions;
  let index: DocsIndex;
  let first: DocsIndexInfo;

  const temporaryCacheDir = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-docs-index-'));
    cacheDirs.push(dir);
    return dir;
  };

  before(async () => {
    const tools = await provisionedTools();
    options = {
      pythonPath: tools.toolRuntime.pythonPath,
      cacheDir: await temporaryCacheDir(),
      packages: runtimePackageNames(),
    };
    index = createDocsIndex(options);
    first = await index.ensureBuilt();
  });

  after(async () => {
    await Promise.all(cacheDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  describe('building', () => {
    it('extracts the pinned packages once into <cacheDir>/docs-index/<key>.json', async () => {
      assert.equal(first.extracted, true);
      assert.equal(path.dirname(first.file), path.join(options.cacheDir, 'docs-index'));
      assert.equal(path.basename(first.file), `${first.key}.json`);
      assert.deepEqual(Object.keys(first.packages).sort(), ['numpy', 'pillow', 'rdkit']);
      assert.ok(first.entries > 3000, `only ${first.entries} entries`);
      const coverage = await index.coverage(['rdkit', 'numpy', 'pillow', 'PIL', 'pandas']);
      for (const name of ['rdkit', 'numpy', 'pillow']) assert.ok(coverage[name]! > 100, `${name}: ${coverage[name]}`);
      assert.equal(coverage.PIL, coverage.pillow, 'an import name counts as its distribution');
      assert.equal(coverage.pandas, 0, 'not installed');
      console.log(
        `      first build: ${first.buildMs} ms, ${first.entries} entries, ${(first.bytes / 1e6).toFixed(1)} MB`,
      );
    });

    it('is reused by every later index on the same cache: no second extraction, the file untouched', async () => {
      const before = await stat(first.file);
      assert.equal(await index.ensureBuilt(), first, 'the same instance builds once');
      const again = await createDocsIndex(options).ensureBuilt();
      assert.equal(again.extracted, false);
      assert.equal(again.key, first.key);
      assert.equal(again.entries, first.entries);
      assert.equal((await stat(first.file)).mtimeMs, before.mtimeMs);
      console.log(`      reuse: ${again.buildMs} ms (first build ${first.buildMs} ms)`);
    });

    it('keys the cache on the runtime: another requirements hash is another file', async () => {
      const other = createDocsIndex({ ...options, requirementsHash: 'something-else' });
      const info = await other.ensureBuilt();
      assert.notEqual(info.key, first.key);
      assert.equal(info.extracted, true);
      assert.equal(info.entries, first.entries);
    });

    it('survives concurrent builders on an empty cache: one whole file, no temporary left', async () => {
      const cacheDir = await temporaryCacheDir();
      const builds = await Promise.all([1, 2, 3].map(() => createDocsIndex({ ...options, cacheDir }).ensureBuilt()));
      assert.deepEqual(new Set(builds.map((build) => build.key)).size, 1);
      assert.ok(builds.every((build) => build.entries === first.entries));
      assert.deepEqual(await readdir(path.join(cacheDir, 'docs-index')), [`${first.key}.json`]);
      const reused = await createDocsIndex({ ...options, cacheDir }).ensureBuilt();
      assert.equal(reused.extracted, false);
      assert.equal(reused.entries, first.entries);
    });

    it('fails with a clear error when the runtime cannot run the extractor', async () => {
      const broken = createDocsIndex({ ...options, pythonPath: path.join(options.cacheDir, 'no-python') });
      await assert.rejects(broken.ensureBuilt(), (error: unknown) => {
        assert.ok(error instanceof DocsIndexError);
        assert.match(error.message, /Extracting the API documentation of the tool runtime with .*no-python failed/);
        return true;
      });
    });
  });

  describe('extraction', () => {
    it('documents compiled (Boost.Python) functions with the signature from their docstring, under their shortest path', async () => {
      const [result] = await index.search(['rdkit.Chem.rdmolfiles.MolFromSmiles'], { limit: 1 });
      assert.equal(result?.name, 'rdkit.Chem.MolFromSmiles', 'the re-export resolves to the canonical name');
      assert.match(result.signature, /^\(.*SMILES.*\) -> Mol$/);
      assert.match(result.doc, /^Construct a molecule from a SMILES string/);
      assert.doesNotMatch(result.doc, /C\+\+ signature/);
      assert.equal(result.package, 'rdkit');
      assert.equal(result.kind, 'function');
    });

    it('documents Python functions, methods and classes with inspect signatures', async () => {
      const [mean] = await index.search(['numpy.mean'], { limit: 1 });
      assert.match(mean!.signature, /^\(a, axis=None/);
      const [resize] = await index.search(['PIL.Image.Image.resize'], { limit: 1 });
      assert.equal(resize!.kind, 'method');
      assert.equal(resize!.package, 'pillow');
      assert.match(resize!.signature, /^\(self, size/);
    });
  });

  describe('ranking', () => {
    const top = async (query: string, n = 3, packages?: string[]) =>
      names((await index.search([query], { limit: 8, packages })).slice(0, n));

    it('"molecular weight of a molecule" ranks rdkit.Chem.Descriptors.MolWt in the top 3', async () => {
      assert.ok((await top('molecular weight of a molecule')).includes('rdkit.Chem.Descriptors.MolWt'));
    });

    it('"parse a SMILES string into a molecule" finds rdkit.Chem.MolFromSmiles in the top 3', async () => {
      assert.ok((await top('parse a SMILES string into a molecule')).includes('rdkit.Chem.MolFromSmiles'));
    });

    it('an exact or trailing dotted name ranks that entry first', async () => {
      for (const query of ['rdkit.Chem.Descriptors.MolWt', 'Descriptors.MolWt', 'MolWt', 'MolWt()']) {
        const [result] = await index.search([query]);
        assert.equal(result?.name, 'rdkit.Chem.Descriptors.MolWt', query);
        assert.notEqual(result.match, 'text', query);
      }
      assert.equal((await index.search(['np.mean']))[0]?.name, 'numpy.mean');
      assert.equal((await index.search(['use Chem.MolFromSmiles to parse it']))[0]?.name, 'rdkit.Chem.MolFromSmiles');
    });

    it('"mean of an array" finds numpy.mean', async () => {
      assert.ok((await top('mean of an array')).includes('numpy.mean'));
    });

    it('a package filter restricts the results, by distribution or import name', async () => {
      const queries = ['molecular weight of a molecule', 'mean of an array', 'resize an image'];
      const numpyOnly = await index.search(queries, { packages: ['numpy'] });
      assert.ok(numpyOnly.length > 0);
      assert.ok(numpyOnly.every((result) => result.package === 'numpy'));
      const pillowOnly = await index.search(queries, { packages: ['PIL'] });
      assert.ok(pillowOnly.length > 0);
      assert.ok(pillowOnly.every((result) => result.package === 'pillow'));
      assert.ok(names(pillowOnly).includes('PIL.Image.Image.resize'));
      assert.deepEqual(await index.search(queries, { packages: ['pandas'] }), []);
    });

    it('answers every query, interleaved, without repeats, within the limit', async () => {
      const queries = ['molecular weight of a molecule', 'MolWt', 'mean of an array', 'resize an image'];
      const results = await index.search(queries);
      assert.ok(results.length <= 8);
      assert.equal(new Set(names(results)).size, results.length);
      assert.deepEqual(
        results.slice(0, queries.length).map((result) => result.query),
        queries,
        'each query has its best unseen result in the first round',
      );
      assert.equal((await index.search(queries, { limit: 2 })).length, 2);
      const snippets: DocSnippet[] = results; // what the implement prompt consumes
      assert.ok(snippets.every((snippet) => snippet.name && typeof snippet.doc === 'string'));
    });
  });

  describe('missing dependency docs', () => {
    it('reports a required package whose queries found nothing relevant', async () => {
      const nonsense = await index.search(['xyzzy frobnicate quux', 'flux capacitor time travel'], {
        packages: ['rdkit'],
      });
      assert.ok(nonsense.every((result) => !result.relevant));
      assert.deepEqual(missingDependencyDocs(nonsense, ['rdkit']), ['rdkit']);
    });

    it('is satisfied by relevant results, and names only the packages left without', async () => {
      const found = await index.search(['molecular weight of a molecule', 'parse a SMILES string into a molecule'], {
        packages: ['rdkit', 'numpy'],
      });
      assert.deepEqual(missingDependencyDocs(found, ['rdkit']), []);
      assert.deepEqual(missingDependencyDocs(found, ['rdkit', 'numpy', 'PIL']), ['numpy', 'PIL']);
      const images = await index.search(['open an image file'], { packages: ['PIL'] });
      assert.deepEqual(missingDependencyDocs(images, ['PIL', 'pillow']), []);
    });
  });
});
