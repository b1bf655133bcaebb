/**
 * The submit form's drafts and the job request they make. The texts go to the API as typed: it
 * trims and checks them, and its 400 names each field, so the page shows the API's own messages.
 * Only the examples are read here, since JSON that does not parse cannot be sent at all.
 */
import type { FieldProblem } from './api-errors';
import type { ToolGenerationRequest } from './api-types';
import { parseJsonText } from './json-text';

export interface ExampleDraft {
  input: string;
  output: string;
  tolerance: string;
}

export interface RequirementDraft {
  description: string;
  input: string;
  output: string;
  examples: ExampleDraft[];
}

export interface JobDraft {
  requirements: RequirementDraft[];
  /** metadata.clientId: the client's own label for whoever asked */
  clientLabel: string;
  /** false: make every tool afresh, even one equal to a registered tool */
  reuse: boolean;
}

type AcceptanceExample = NonNullable<ToolGenerationRequest['toolRequirements'][number]['examples']>[number];

export const emptyExample = (): ExampleDraft => ({ input: '', output: '', tolerance: '' });
export const emptyRequirement = (): RequirementDraft => ({ description: '', input: '', output: '', examples: [] });

/** The API's path of a requirement's field, which its 400s name. */
export const requirementPath = (index: number, field: string): string => `toolRequirements.${index}.${field}`;
export const examplePath = (index: number, example: number, field: keyof ExampleDraft): string =>
  requirementPath(index, `examples.${example}.${field}`);

const isFilled = (example: ExampleDraft): boolean =>
  example.input.trim() !== '' || example.output.trim() !== '' || example.tolerance.trim() !== '';

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function exampleFrom(
  example: ExampleDraft,
  path: (field: keyof ExampleDraft) => string,
  problems: FieldProblem[],
): AcceptanceExample | undefined {
  const before = problems.length;
  const input = parseJsonText(example.input);
  if (!input.ok) problems.push({ field: path('input'), message: input.problem });
  else if (!isJsonObject(input.value)) {
    problems.push({ field: path('input'), message: 'must be a JSON object: the keyword arguments of the tool' });
  }
  const output = parseJsonText(example.output);
  if (!output.ok) problems.push({ field: path('output'), message: output.problem });
  const tolerance = example.tolerance.trim() === '' ? undefined : Number(example.tolerance);
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance >= 0)) {
    problems.push({ field: path('tolerance'), message: 'must be a number of at least 0' });
  }
  if (problems.length > before || !input.ok || !isJsonObject(input.value) || !output.ok) return undefined;
  return {
    input: input.value,
    // any JSON value: what JSON.parse gives is never undefined
    output: output.value as AcceptanceExample['output'],
    ...(tolerance === undefined ? {} : { tolerance }),
  };
}

export interface BuiltJobRequest {
  body: ToolGenerationRequest;
  /** what keeps the body from being sent, by the form's own paths */
  problems: FieldProblem[];
  /** the form's path of a path in the body: blank example rows are not sent, so later ones move up */
  formPathOf(bodyPath: string): string;
}

/**
 * The request body, or the problems that keep it from being sent. Examples and the optional
 * fields are sent only when filled in: an untouched form asks exactly what the seed's clients ask.
 */
export function jobRequestFrom(draft: JobDraft): BuiltJobRequest {
  const problems: FieldProblem[] = [];
  /** per requirement, the form row of each example sent */
  const sentRows: number[][] = [];
  const toolRequirements = draft.requirements.map((requirement, index) => {
    const filled = requirement.examples
      .map((example, row) => ({ example, row }))
      .filter(({ example }) => isFilled(example));
    sentRows[index] = filled.map(({ row }) => row);
    const examples = filled
      .map(({ example, row }) => exampleFrom(example, (field) => examplePath(index, row, field), problems))
      .filter((example): example is AcceptanceExample => example !== undefined);
    return {
      description: requirement.description,
      input: requirement.input,
      output: requirement.output,
      ...(examples.length > 0 ? { examples } : {}),
    };
  });
  const label = draft.clientLabel.trim();
  return {
    body: {
      toolRequirements,
      ...(label ? { metadata: { clientId: label } } : {}),
      ...(draft.reuse ? {} : { options: { reuse: false } }),
    },
    problems,
    formPathOf(bodyPath) {
      const example = /^toolRequirements\.(\d+)\.examples\.(\d+)(.*)$/.exec(bodyPath);
      const row = example && sentRows[Number(example[1])]?.[Number(example[2])];
      return example && row !== undefined ? `toolRequirements.${example[1]}.examples.${row}${example[3]}` : bodyPath;
    },
  };
}
