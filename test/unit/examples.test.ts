import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { toolGenerationRequestSchema } from '../../contract/jobs';
import { EXAMPLES_DIR } from '../../dev/examples';

/** The project's shared examples, beside the repository; a clone on its own has only the copies. */
const SHARED_EXAMPLES_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'examples');

describe('the example requests (examples/, copies of ../shared/examples)', () => {
  it('keeps every shared example byte for byte (when ../shared/examples is there)', function () {
    if (!existsSync(SHARED_EXAMPLES_DIR)) this.skip();
    const shared = readdirSync(SHARED_EXAMPLES_DIR).sort();
    assert.ok(shared.length > 0, `${SHARED_EXAMPLES_DIR} is empty`);
    for (const name of shared) {
      const copy = path.join(EXAMPLES_DIR, name);
      assert.ok(existsSync(copy), `examples/${name} is missing: copy it from ${SHARED_EXAMPLES_DIR}`);
      assert.ok(
        readFileSync(copy).equals(readFileSync(path.join(SHARED_EXAMPLES_DIR, name))),
        `examples/${name} differs from ${path.join(SHARED_EXAMPLES_DIR, name)}`,
      );
    }
  });

  it('holds JSON examples that are each a job request the API takes', () => {
    const requests = readdirSync(EXAMPLES_DIR).filter((name) => name.endsWith('.json'));
    assert.ok(requests.includes('molecular-weight.json'), 'the quick start’s example is there');
    for (const name of requests) {
      const parsed = toolGenerationRequestSchema.safeParse(
        JSON.parse(readFileSync(path.join(EXAMPLES_DIR, name), 'utf8')),
      );
      assert.ok(parsed.success, `examples/${name}: ${parsed.error?.message}`);
    }
  });
});
