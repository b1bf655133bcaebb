import { OPENAI_FUNCTION_NAME, openAiFunctionName } from '../../../contract';
import assert from 'node:assert/strict';
import { inFormat, isStrictCompatible, toOpenAiFunction } from '../../../executor/openai-functions';

const molecularWeightInput = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { smiles: { type: 'string', description: 'SMILES string of the molecule' } },
  required: ['smiles'],
};

/** Every rule strict mode has, kept: nested objects, arrays of objects, nullable anyOf, $defs and $ref, enums. */
const strictSchema = {
  type: 'object',
  properties: {
    smiles: { type: 'string', pattern: '^[A-Za-z0-9@+\\-\\[\\]()=#$/\\\\%.]+$' },
    units: { type: 'string', enum: ['g/mol', 'kg/mol'] },
    options: {
      type: 'object',
      properties: { precision: { type: 'integer', minimum: 0, maximum: 10 } },
      required: ['precision'],
      additionalProperties: false,
    },
    isotopes: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        properties: { element: { type: 'string' }, mass: { type: ['number', 'null'] } },
        required: ['element', 'mass'],
        additionalProperties: false,
      },
    },
    note: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
    solvent: { $ref: '#/$defs/solvent' },
  },
  required: ['smiles', 'units', 'options', 'isotopes', 'note', 'solvent'],
  additionalProperties: false,
  $defs: {
    solvent: {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
      additionalProperties: false,
    },
  },
};

type Schema = Record<string, any>;
const clone = (schema: Schema): Schema => structuredClone(schema);

describe('OpenAI function definitions of registered tools', () => {
  it('gives the Responses API shape: the name, the description and the input schema without $schema', () => {
    const definition = toOpenAiFunction({
      name: 'calculate_molecular_weight',
      description: 'Calculate the molecular weight of a compound from SMILES.',
      input_schema: molecularWeightInput,
    });
    const { $schema: _dialect, ...parameters } = molecularWeightInput;
    assert.deepEqual(definition, {
      type: 'function',
      name: 'calculate_molecular_weight',
      description: 'Calculate the molecular weight of a compound from SMILES.',
      parameters,
      strict: false,
    });
  });

  it('gives the Chat Completions shape with format "chat"', () => {
    const definition = toOpenAiFunction({ name: 'f', description: 'd', input_schema: strictSchema });
    assert.deepEqual(inFormat(definition, 'chat'), {
      type: 'function',
      function: { name: 'f', description: 'd', parameters: strictSchema, strict: true },
    });
    assert.equal(inFormat(definition, 'responses'), definition);
  });

  it('makes any input schema an object schema, as the tool is called with keyword arguments', () => {
    const typeless = toOpenAiFunction({ name: 'f', description: 'd', input_schema: { properties: { a: {} } } });
    assert.deepEqual(typeless.parameters, { properties: { a: {} }, type: 'object' });
    const empty = toOpenAiFunction({ name: 'f', description: 'd', input_schema: {} });
    assert.deepEqual(empty.parameters, { type: 'object', properties: {} });
    const notAnObject = toOpenAiFunction({ name: 'f', description: 'd', input_schema: { type: ['object', 'null'] } });
    assert.equal(notAnObject.parameters.type, 'object');
  });

  it("keeps names within OpenAI's rules", () => {
    assert.equal(openAiFunctionName('calculate_molecular_weight'), 'calculate_molecular_weight');
    assert.equal(openAiFunctionName('molar mass (g/mol)'), 'molar_mass__g_mol_');
    assert.equal(openAiFunctionName('x'.repeat(80)).length, 64);
    assert.equal(openAiFunctionName(''), 'tool');
    for (const name of ['a.b', 'ü', 'x'.repeat(65), 'ok-name_1'])
      assert.match(openAiFunctionName(name), OPENAI_FUNCTION_NAME);
  });
});

describe("strict: true only for schemas OpenAI's strict mode accepts", () => {
  it('accepts a schema that keeps every rule, recursively', () => {
    assert.equal(isStrictCompatible(strictSchema), true);
    assert.equal(isStrictCompatible({ type: 'object', properties: {}, additionalProperties: false }), true);
  });

  const breaks: [string, (schema: Schema) => unknown][] = [
    ['the root without additionalProperties: false', (schema) => delete schema.additionalProperties],
    ['a property that is not required', (schema) => schema.required.pop()],
    ['a required name that is not a property', (schema) => schema.required.push('ghost')],
    [
      'a nested object without additionalProperties: false',
      (schema) => delete schema.properties.options.additionalProperties,
    ],
    [
      'additionalProperties as a schema',
      (schema) => (schema.properties.options.additionalProperties = { type: 'string' }),
    ],
    ['an object in array items with an optional property', (schema) => schema.properties.isotopes.items.required.pop()],
    [
      'a non-strict object inside anyOf',
      (schema) => (schema.properties.note.anyOf[1] = { type: 'object', properties: {} }),
    ],
    ['a non-strict object in $defs', (schema) => delete schema.$defs.solvent.additionalProperties],
    ['an unsupported keyword (minLength)', (schema) => (schema.properties.smiles.minLength = 1)],
    ['an unsupported keyword (allOf)', (schema) => (schema.properties.units = { allOf: [{ type: 'string' }] })],
    ['an unsupported keyword (default)', (schema) => (schema.properties.units.default = 'g/mol')],
    ['an unsupported format', (schema) => (schema.properties.smiles.format = 'smiles')],
    ['a subschema with no type', (schema) => (schema.properties.smiles = { description: 'anything' })],
    ['a boolean subschema', (schema) => (schema.properties.smiles = true)],
    [
      'a root that is anyOf',
      (schema) => (schema.anyOf = [{ type: 'object', properties: {}, additionalProperties: false }]),
    ],
  ];
  for (const [what, change] of breaks) {
    it(`refuses ${what}`, () => {
      const schema = clone(strictSchema);
      change(schema);
      assert.equal(isStrictCompatible(schema), false);
    });
  }

  it('refuses objects nested deeper than strict mode allows (10 levels)', () => {
    const nested = (depth: number): Schema =>
      depth === 1
        ? { type: 'object', properties: {}, additionalProperties: false }
        : {
            type: 'object',
            properties: { inner: nested(depth - 1) },
            required: ['inner'],
            additionalProperties: false,
          };
    assert.equal(isStrictCompatible(nested(10)), true);
    assert.equal(isStrictCompatible(nested(11)), false);
  });
});
