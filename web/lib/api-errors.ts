/**
 * What went wrong with a request, as the API said it: its sentence, its code, and (for a 400) the
 * fields to fix, by their paths in the request body ("toolRequirements.0.description",
 * "input.smiles"), so a form can show each message next to its field.
 */

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    message: string,
    /** the HTTP status; 0 when no answer came */
    readonly status: number,
    /** the ErrorResponse's code, or what stood in for one */
    readonly code: string,
    readonly fields: FieldProblem[] = [],
    readonly requestId?: string,
  ) {
    super(message);
  }
}

function isFieldProblem(value: unknown): value is FieldProblem {
  const candidate = value as Partial<FieldProblem> | null;
  return typeof candidate?.field === 'string' && typeof candidate.message === 'string';
}

/** The `details.fields` of an ErrorResponse (as the API's 400s carry them), or none. */
export function fieldProblemsOf(details: unknown): FieldProblem[] {
  const fields = (details as { fields?: unknown } | null | undefined)?.fields;
  return Array.isArray(fields) ? fields.filter(isFieldProblem) : [];
}

/** Messages by field path; two problems with one field are shown together. */
export type FieldErrors = Record<string, string>;

export function fieldErrorsOf(problems: readonly FieldProblem[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const { field, message } of problems) errors[field] = errors[field] ? `${errors[field]}; ${message}` : message;
  return errors;
}

/**
 * The problems that no field of the form shows, so the form can show them itself: a message must
 * never be lost because the form has no place for its path.
 */
export function unplacedProblems(problems: readonly FieldProblem[], placed: (field: string) => boolean): string[] {
  return problems.filter((problem) => !placed(problem.field)).map((problem) => `${problem.field} ${problem.message}`);
}
