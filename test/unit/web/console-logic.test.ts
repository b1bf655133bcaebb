import assert from 'node:assert/strict';
import { fieldErrorsOf, fieldProblemsOf, unplacedProblems } from '../../../web/lib/api-errors';
import { applyStageEvent, initialRows, stepStates } from '../../../web/lib/job-stages';
import { highlightPython, type Token } from '../../../web/lib/python-highlight';
import { emptyExample, emptyRequirement, jobRequestFrom } from '../../../web/lib/requirement-form';
import { hrefOf, parseRoute } from '../../../web/lib/routes';
import { fieldNameOf, formFieldsOf, inputFromFields, inputFromJson } from '../../../web/lib/schema-form';
import { molecularWeightCode } from '../../../dev/canned-tools';

/** The web console's logic that needs no browser: highlighting, forms, routes, stages. */

const kindsOf = (tokens: Token[], kind: Token['kind']) =>
  tokens.filter((token) => token.kind === kind).map((token) => token.text);

describe('the web console’s own logic', () => {
  describe('the Python highlighter', () => {
    it('loses and changes nothing: the tokens add up to the code, whatever it is', () => {
      const sources = [
        molecularWeightCode,
        'x = "unterminated\ny = 1',
        "s = '''never closed",
        '@decorator\ndef f(a, b):\n    return a @ b  # matrix product\n',
        'π = 3.14e-2j + 0x1F + .5 + 1_000\nprint(rb"\\x00", f\'{π}\')\n',
        '<img src=x onerror=alert(1)>',
        '',
      ];
      for (const source of sources) {
        assert.equal(
          highlightPython(source)
            .map((token) => token.text)
            .join(''),
          source,
        );
      }
    });

    it('tells keywords, names being defined, strings, comments, numbers and decorators apart', () => {
      const tokens = highlightPython(
        '@cache\nclass Weigher:\n    def weigh(self, smiles: str) -> float:  # grams\n        return 46.07 if smiles else f"none {smiles}"\n',
      );
      assert.deepEqual(kindsOf(tokens, 'decorator'), ['@cache']);
      assert.deepEqual(kindsOf(tokens, 'keyword'), ['class', 'def', 'return', 'if', 'else']);
      assert.deepEqual(kindsOf(tokens, 'class'), ['Weigher']);
      assert.deepEqual(kindsOf(tokens, 'function'), ['weigh']);
      assert.deepEqual(kindsOf(tokens, 'builtin'), ['self', 'str', 'float']);
      assert.deepEqual(kindsOf(tokens, 'comment'), ['# grams']);
      assert.deepEqual(kindsOf(tokens, 'number'), ['46.07']);
      assert.deepEqual(kindsOf(tokens, 'string'), ['f"none {smiles}"']);
      assert.deepEqual(kindsOf(highlightPython('a @ b'), 'decorator'), [], '@ inside a line is an operator');
      assert.deepEqual(kindsOf(highlightPython('x = """a\n# not a comment\n"""'), 'comment'), []);
    });
  });

  describe('the run form made from an input schema', () => {
    const schema = {
      type: 'object',
      properties: {
        smiles: { type: 'string', description: 'SMILES of the molecule' },
        count: { type: 'integer' },
        weight: { type: ['number', 'null'] },
        exact: { type: 'boolean' },
        unit: { enum: ['g', 'kg'] },
        atoms: { type: 'array' },
      },
      required: ['smiles', 'mode'],
    };

    it('makes a field per property, then one per required name it does not describe', () => {
      assert.deepEqual(
        formFieldsOf(schema).map((field) => [field.name, field.kind, field.required]),
        [
          ['smiles', 'text', true],
          ['count', 'integer', false],
          ['weight', 'number', false],
          ['exact', 'boolean', false],
          ['unit', 'choice', false],
          ['atoms', 'json', false],
          ['mode', 'any', true],
        ],
      );
      assert.equal(formFieldsOf(schema)[0]!.description, 'SMILES of the molecule');
      assert.deepEqual(formFieldsOf({ type: 'object' }), []);
      assert.deepEqual(formFieldsOf('not a schema'), []);
    });

    it('sends what was typed: numbers as numbers, anything else as typed for the API to judge, empty fields not at all', () => {
      const fields = formFieldsOf(schema);
      assert.deepEqual(
        inputFromFields(fields, {
          smiles: 'CCO',
          count: '2',
          weight: 'heavy',
          exact: 'false',
          unit: 'kg',
          atoms: '["C", "O"]',
          mode: '3',
        }),
        {
          input: { smiles: 'CCO', count: 2, weight: 'heavy', exact: false, unit: 'kg', atoms: ['C', 'O'], mode: 3 },
          problems: [],
        },
      );
      assert.deepEqual(inputFromFields(fields, { smiles: '', mode: 'fast' }).input, { mode: 'fast' });
      const broken = inputFromFields(fields, { atoms: '[1,' });
      assert.equal(broken.problems[0]!.field, 'input.atoms');
      assert.match(broken.problems[0]!.message, /is not valid JSON/);
    });

    it('reads a whole input written as JSON, which must be an object', () => {
      assert.deepEqual(inputFromJson('{"a": 1}'), { input: { a: 1 }, problems: [] });
      assert.deepEqual(inputFromJson('  '), { input: {}, problems: [] });
      assert.deepEqual(inputFromJson('[1]').problems, [{ field: 'input', message: 'must be a JSON object' }]);
      assert.match(inputFromJson('{').problems[0]!.message, /is not valid JSON/);
    });

    it('places the API’s field paths on the fields they name', () => {
      assert.equal(fieldNameOf('input.smiles'), 'smiles');
      assert.equal(fieldNameOf('input.atoms.0'), 'atoms');
      assert.equal(fieldNameOf('input'), undefined);
      assert.equal(fieldNameOf('(body)'), undefined);
    });
  });

  describe('the job request made from the submit form', () => {
    it('sends the texts as typed, and the optional parts only when filled in', () => {
      const { body, problems } = jobRequestFrom({
        requirements: [{ ...emptyRequirement(), description: ' Weigh ', input: 'SMILES', output: 'grams' }],
        clientLabel: '  ',
        reuse: true,
      });
      assert.deepEqual(problems, []);
      assert.deepEqual(body, { toolRequirements: [{ description: ' Weigh ', input: 'SMILES', output: 'grams' }] });

      const full = jobRequestFrom({
        requirements: [
          {
            description: 'Weigh',
            input: 'SMILES',
            output: 'grams',
            examples: [emptyExample(), { input: '{"smiles": "CCO"}', output: '{"weight": 46.07}', tolerance: '0.01' }],
          },
        ],
        clientLabel: 'web-app',
        reuse: false,
      });
      assert.deepEqual(full.body, {
        toolRequirements: [
          {
            description: 'Weigh',
            input: 'SMILES',
            output: 'grams',
            examples: [{ input: { smiles: 'CCO' }, output: { weight: 46.07 }, tolerance: 0.01 }],
          },
        ],
        metadata: { clientId: 'web-app' },
        options: { reuse: false },
      });
      // the blank first example row is not sent: the API's "examples.0" is the form's second row
      assert.equal(full.formPathOf('toolRequirements.0.examples.0.output'), 'toolRequirements.0.examples.1.output');
      assert.equal(full.formPathOf('toolRequirements.0.description'), 'toolRequirements.0.description');
    });

    it('names each example field that cannot be sent, by the form’s own paths', () => {
      const { problems } = jobRequestFrom({
        requirements: [
          {
            ...emptyRequirement(),
            examples: [
              { input: '[1]', output: 'oops', tolerance: '-1' },
              { input: '{}', output: '1', tolerance: '' },
            ],
          },
        ],
        clientLabel: '',
        reuse: true,
      });
      assert.deepEqual(
        problems.map((problem) => problem.field),
        [
          'toolRequirements.0.examples.0.input',
          'toolRequirements.0.examples.0.output',
          'toolRequirements.0.examples.0.tolerance',
        ],
      );
    });
  });

  describe('the API’s errors', () => {
    it('reads the field problems of an ErrorResponse, and keeps the ones no field shows', () => {
      const problems = fieldProblemsOf({
        fields: [
          { field: 'input.smiles', message: 'is required' },
          { field: 'input.smiles', message: 'must be string' },
          { field: '(body)', message: 'is odd' },
          { nonsense: true },
        ],
      });
      assert.equal(problems.length, 3);
      assert.deepEqual(fieldErrorsOf(problems), { 'input.smiles': 'is required; must be string', '(body)': 'is odd' });
      assert.deepEqual(
        unplacedProblems(problems, (field) => field.startsWith('input.')),
        ['(body) is odd'],
      );
      assert.deepEqual(fieldProblemsOf(undefined), []);
      assert.deepEqual(fieldProblemsOf({ field: '(body)' }), []);
    });
  });

  describe('routes and stages', () => {
    it('reads and writes the page’s places in the URL fragment', () => {
      assert.deepEqual(parseRoute(''), { page: 'submit' });
      assert.deepEqual(parseRoute('#/'), { page: 'submit' });
      assert.deepEqual(parseRoute('#/jobs'), { page: 'jobs' });
      assert.deepEqual(parseRoute('#/jobs/job_1'), { page: 'job', jobId: 'job_1' });
      assert.deepEqual(parseRoute('#/tools/abc'), { page: 'tool', toolId: 'abc' });
      assert.deepEqual(parseRoute('#/tools/abc/extra'), { page: 'not-found', path: '/tools/abc/extra' });
      assert.equal(hrefOf({ page: 'job', jobId: 'job_1' }), '#/jobs/job_1');
      assert.deepEqual(parseRoute(hrefOf({ page: 'tool', toolId: 'a/b' })), { page: 'tool', toolId: 'a/b' });
    });

    it('follows each tool through the pipeline as the stage events tell it', () => {
      let rows = initialRows(2);
      rows = applyStageEvent(rows, {
        jobId: 'job_1',
        seq: 1,
        requirementIndex: 1,
        toolName: 'weigh',
        stage: 'implementing',
        attempts: 1,
      });
      rows = applyStageEvent(rows, {
        jobId: 'job_1',
        seq: 2,
        requirementIndex: 3,
        toolName: null,
        stage: 'planning',
        attempts: 0,
      });
      assert.deepEqual(
        rows.map((row) => [row.requirementIndex, row.toolName, row.stage]),
        [
          [0, null, 'pending'],
          [1, 'weigh', 'implementing'],
          [2, null, 'pending'],
          [3, null, 'planning'],
        ],
      );
      assert.deepEqual(
        stepStates('implementing').map((step) => step.state),
        ['done', 'done', 'done', 'current', 'upcoming', 'upcoming', 'upcoming'],
      );
      assert.ok(stepStates('failed').every((step) => step.state === 'upcoming'));
    });
  });
});
