import assert from 'node:assert/strict';
import { createPredicateChecker, type PredicateChecker } from '../../cli/eval/predicates';

describe('judging a held-out call', function () {
  describe('against a Python predicate', function () {
    this.timeout(30_000);
    let predicates: PredicateChecker;
    before(() => {
      predicates = createPredicateChecker(undefined, 1_000);
    });
    after(() => predicates.close());

    it('holds when the expression over input and output is truthy', async () => {
      const input = { words: ['ab', 'ba'] };
      assert.deepEqual(
        await predicates.check("sorted(output['groups'][0]) == input['words']", input, { groups: [['ba', 'ab']] }),
        {
          passed: true,
          error: null,
        },
      );
      assert.deepEqual(await predicates.check("len(output['groups']) == 2", input, { groups: [['ab', 'ba']] }), {
        passed: false,
        error: 'the predicate is False for this output',
      });
    });

    it('takes statements that define check(input, output), and keeps what they print out of the answers', async () => {
      const source =
        'import math\n\ndef check(input, output):\n    print("checking")\n    return math.isclose(output["x"], input["a"] * 2)\n';
      assert.deepEqual(await predicates.check(source, { a: 2 }, { x: 4 }), { passed: true, error: null });
      assert.match((await predicates.check('x = 1', {}, {})).error!, /must define check\(input, output\)/);
    });

    it('counts a predicate that raises, exits or hangs as a failed call and goes on with the next one', async () => {
      assert.deepEqual(await predicates.check("output['missing'] > 1", {}, {}), {
        passed: false,
        error: "the predicate raised KeyError: 'missing'",
      });
      assert.match((await predicates.check('raise SystemExit(2)', {}, {})).error!, /raised SystemExit: 2/);
      assert.match(
        (await predicates.check('__import__("os")._exit(3)', {}, {})).error!,
        /ended its Python process \(exit 3\)/,
      );
      assert.match((await predicates.check('while True: pass', {}, {})).error!, /did not finish within 1 s/);
      assert.deepEqual(await predicates.check('output == 1', {}, 1), { passed: true, error: null });
    });

    it('fails every call, naming the interpreter, when Python cannot be run at all', async () => {
      const missing = createPredicateChecker('/nonexistent/python3');
      try {
        assert.match(
          (await missing.check('True', {}, {})).error!,
          /cannot run the predicates with \/nonexistent\/python3/,
        );
      } finally {
        missing.close();
      }
    });
  });
});
