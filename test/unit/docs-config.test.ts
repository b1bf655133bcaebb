import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { configVariableNames } from '../../config';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../dev/docs-config';
import { provisioningVariables } from '../../infra/provisioning-variables';

const ROOT = path.resolve(__dirname, '..', '..');
const DOCS = path.join(ROOT, 'docs');

describe('the documentation', () => {
  describe('docs/configuration.md, generated from config/', () => {
    const current = () => readFileSync(CONFIGURATION_DOC, 'utf8');

    it('is what `npm run docs:config` renders now', async () => {
      const rendered = await renderConfigurationDoc();
      assert.ok(
        current() === rendered,
        'docs/configuration.md is stale (config/environment.ts or infra/provisioning-variables.ts changed): run `npm run docs:config`',
      );
    });

    it('names every variable the service reads, and every provisioning variable', () => {
      const text = current();
      const missing = [...configVariableNames, ...provisioningVariables.map((variable) => variable.name)].filter(
        (name) => !text.includes(`\`${name}\``),
      );
      assert.deepEqual(missing, [], 'variables missing from docs/configuration.md: run `npm run docs:config`');
    });
  });

  describe('links', () => {
    const files = [
      path.join(ROOT, 'README.md'),
      ...readdirSync(DOCS)
        .filter((name) => name.endsWith('.md'))
        .map((name) => path.join(DOCS, name)),
    ];

    for (const file of files) {
      it(`${path.relative(ROOT, file)}: every relative link points to an existing file (and heading)`, () => {
        const broken = relativeLinks(readFileSync(file, 'utf8')).filter((link) => !resolves(file, link));
        assert.deepEqual(broken, [], `broken links in ${path.relative(ROOT, file)}`);
      });
    }
  });
});

/** The targets of Markdown links and images outside code: `[text](target)`, `![alt](target)`. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
  const targets = [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!);
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

function resolves(from: string, link: string): boolean {
  const [target = '', anchor] = link.split('#');
  const file = target === '' ? from : path.resolve(path.dirname(from), decodeURIComponent(target));
  if (!existsSync(file)) return false;
  if (anchor === undefined || anchor === '') return true;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return false;
  return headingSlugs(readFileSync(file, 'utf8')).has(anchor.toLowerCase());
}

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces as hyphens. */
function headingSlugs(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  const seen = new Map<string, number>();
  const slugs = new Set<string>();
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  }
  return slugs;
}
