import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultPredicatePython } from '../../cli/eval/predicates';
import { loadSuite } from '../../cli/eval/suite';

const STARTER_SUITE = path.join(__dirname, '..', '..', 'eval');

/** In the tool runtime's Python (RDKit, NumPy): the starter suite's expected values are the libraries' own. */
describe('the starter suite (eval/), against the libraries it is about', () => {
  it('holds exactly what RDKit, NumPy and the standard library compute (eval/compute_expected.py --check)', async () => {
    const script = path.join(STARTER_SUITE, 'compute_expected.py');
    const { stdout } = await promisify(execFile)(defaultPredicatePython(), [script, '--check']);
    const checked = /^(\d+) tasks checked; 0 problem\(s\)/.exec(stdout);
    assert.ok(checked, stdout);
    // every task of the suite was computed, not some other folder's (or none: "0 tasks checked")
    const { tasks } = await loadSuite(STARTER_SUITE);
    assert.equal(Number(checked[1]), tasks.length, stdout);
  });
});
