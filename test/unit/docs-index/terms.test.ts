import assert from 'node:assert/strict';
import { missingDependencyDocs, normalizePackageName } from '../../../docs-index';
import { mergeResults, type DocSearchResult } from '../../../docs-index/ranking';
import { namesInQuery, processTerm, queryWords, stem, tokenize } from '../../../docs-index/terms';

const result = (query: string, name: string, extra: Partial<DocSearchResult> = {}): DocSearchResult => ({
  query,
  name,
  signature: '()',
  doc: '',
  package: name.split('.')[0]!.toLowerCase(),
  kind: 'function',
  match: 'text',
  score: 1,
  termCoverage: 1,
  relevant: true,
  ...extra,
});

describe('docs index terms and merging (no runtime needed)', () => {
  it('splits dotted, snake_case and camelCase names into words, keeping the compound', () => {
    assert.deepEqual(tokenize('rdkit.Chem.MolFromSmiles'), ['rdkit', 'Chem', 'Mol', 'From', 'Smiles', 'MolFromSmiles']);
    assert.deepEqual(tokenize('array_split'), ['array', 'split']);
    assert.deepEqual(tokenize('Compute2DCoords'), ['Compute', '2D', 'Coords', 'Compute2DCoords']);
  });

  it('makes the forms of a word meet, and spells out abbreviations next to them', () => {
    assert.equal(stem('molecular'), stem('molecule'));
    assert.equal(stem('molecules'), stem('molecule'));
    assert.equal(stem('parsing'), stem('parse'));
    assert.equal(stem('calculation'), stem('calculate'));
    assert.equal(stem('string'), 'string');
    assert.deepEqual(processTerm('Wt'), ['wt', 'weight']);
    assert.equal(processTerm('the'), null);
    assert.equal(processTerm('constructor'), 'constructor', 'no prototype lookups');
    assert.deepEqual(
      queryWords('the molecular weight of a molecule').map((terms) => terms[0]),
      ['molecul', 'weight'],
    );
  });

  it('recognises API names in a query, not the plain words of a sentence', () => {
    assert.deepEqual(namesInQuery('rdkit.Chem.Descriptors.MolWt'), ['rdkit.Chem.Descriptors.MolWt']);
    assert.deepEqual(namesInQuery('mean'), ['mean']);
    assert.deepEqual(namesInQuery('use `Chem.MolFromSmiles(smiles)` then MolWt'), ['Chem.MolFromSmiles', 'MolWt']);
    assert.deepEqual(namesInQuery('the mean of an array'), []);
    assert.deepEqual(namesInQuery('split with array_split()'), ['array_split']);
  });

  it('interleaves queries, skipping a repeat to the query’s next result, within the limit', () => {
    const merged = mergeResults(
      [
        [result('a', 'x.one'), result('a', 'x.two')],
        [result('b', 'x.one'), result('b', 'x.three')],
        [result('c', 'x.four')],
      ],
      10,
    );
    assert.deepEqual(
      merged.map((r) => `${r.query}:${r.name}`),
      ['a:x.one', 'b:x.three', 'c:x.four', 'a:x.two'],
    );
    assert.equal(mergeResults([[result('a', 'x.one'), result('a', 'x.two')]], 1).length, 1);
  });

  it('names the required packages without a relevant result, by distribution or import name', () => {
    const found = [
      result('q', 'PIL.Image.open', { package: 'pillow' }),
      result('q', 'numpy.mean', { relevant: false }),
    ];
    assert.deepEqual(missingDependencyDocs(found, ['PIL', 'pillow', 'Pillow>=10', 'numpy', 'rdkit']), [
      'numpy',
      'rdkit',
    ]);
    const plain = [{ query: 'q', name: 'rdkit.Chem.MolFromSmiles', signature: '', doc: '' }];
    assert.deepEqual(missingDependencyDocs(plain, ['rdkit.Chem']), []);
    assert.equal(normalizePackageName(' Pillow_SIMD==9 '), 'pillow-simd');
  });
});
