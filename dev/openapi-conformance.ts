import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { openApiDocument, UNMATCHED_ROUTE_RESPONSE, type OpenApiDocument } from '../api/openapi';

/**
 * Checks an HTTP answer against the OpenAPI document the service serves: the operation for its
 * method and path must exist (or, for a path or method the document does not list, the answer must
 * be the documented 404), the status must be one the operation documents, the content type one of
 * that response's, its required headers present, and a JSON body must fit the response's schema.
 */

export interface ObservedAnswer {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  /** the parsed JSON, or the text when it was not JSON */
  body: unknown;
}

interface MatchedOperation {
  template: string;
  method: string;
  responses: Record<string, unknown>;
}

interface ResponseObject {
  content?: Record<string, unknown>;
  headers?: Record<string, { required?: boolean }>;
  $ref?: string;
}

const DOCUMENT_ID = 'https://toolsmith.invalid/openapi.json';
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** JSON Pointer escaping of one reference token (RFC 6901), then URI-escaped for use in a $ref. */
function pointerToken(token: string): string {
  return encodeURIComponent(token.replaceAll('~', '~0').replaceAll('/', '~1'));
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 10)
    .map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
    .join('; ');
}

function templatePattern(template: string): RegExp {
  const segments = template
    .split('/')
    .map((segment) => (/^\{[^}]+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}$`);
}

/** the number of fixed segments: a concrete path (`/tools/by-name/{name}`) wins over a templated one (`/tools/{toolId}`) */
function literalSegments(template: string): number {
  return template.split('/').filter((segment) => segment && !segment.startsWith('{')).length;
}

/** the only format the document uses: what `Date.prototype.toISOString` writes */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Ajv for the document: JSON Schema 2020-12, OpenAPI's own keywords (example, …) let through. */
export function createDocumentAjv(document: OpenApiDocument, id: string): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (value: string) => ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
  ajv.addSchema({ ...document, $id: id });
  return ajv;
}

export function createConformanceChecker(document: OpenApiDocument) {
  const ajv = createDocumentAjv(document, DOCUMENT_ID);
  const validators = new Map<string, ValidateFunction>();

  const templates = Object.keys(document.paths)
    .map((template) => ({ template, pattern: templatePattern(template) }))
    .sort((a, b) => literalSegments(b.template) - literalSegments(a.template));

  function findOperation(method: string, pathname: string): MatchedOperation | undefined {
    for (const { template, pattern } of templates) {
      if (!pattern.test(pathname)) continue;
      const operation = (document.paths[template] as Record<string, { responses?: Record<string, unknown> }>)[method];
      if (operation?.responses) return { template, method, responses: operation.responses };
    }
    return undefined;
  }

  function resolveResponse(response: ResponseObject): ResponseObject {
    if (!response.$ref) return response;
    const name = response.$ref.replace('#/components/responses/', '');
    const resolved = (document.components.responses as Record<string, ResponseObject> | undefined)?.[name];
    if (!resolved) throw new Error(`the document's ${response.$ref} does not resolve`);
    return resolved;
  }

  function validatorFor(pointer: string): ValidateFunction {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  }

  /** What is wrong with the answer against one documented response ([] when nothing is). */
  function problemsWith(answer: ObservedAnswer, response: ResponseObject, pointer: string): string[] {
    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (header.required && !answer.headers.has(name)) problems.push(`the required header ${name} is missing`);
    }
    const content = response.content ?? {};
    const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (Object.keys(content).length === 0) {
      if (answer.body !== '') problems.push(`the response is documented without a body, but one came (${mediaType})`);
      return problems;
    }
    if (!(mediaType in content)) {
      problems.push(`content type "${mediaType}" is not one of the documented ${Object.keys(content).join(', ')}`);
      return problems;
    }
    if (!isJsonMediaType(mediaType)) return problems;
    if (typeof answer.body === 'string') {
      problems.push('the body is not JSON');
      return problems;
    }
    const bodyProblems = schemaProblems(`${pointer}/content/${pointerToken(mediaType)}/schema`, answer.body);
    if (bodyProblems.length > 0) problems.push(`the body does not fit the schema: ${bodyProblems.join('; ')}`);
    return problems;
  }

  /** What is wrong with a value against the schema at a JSON Pointer into the document. */
  function schemaProblems(pointer: string, value: unknown): string[] {
    const validate = validatorFor(pointer);
    return validate(value) ? [] : [describeErrors(validate.errors)];
  }

  /** Every problem of the answer against the document; [] when it conforms. */
  function check(answer: ObservedAnswer): string[] {
    const method = answer.method.toLowerCase();
    const { pathname } = new URL(answer.url);
    const operation = findOperation(method, pathname);
    if (!operation) {
      const unmatched = document.components.responses?.[UNMATCHED_ROUTE_RESPONSE] as ResponseObject;
      if (answer.status !== 404) {
        return [`${method.toUpperCase()} ${pathname} is not in the document, yet was answered ${answer.status}`];
      }
      return problemsWith(answer, unmatched, `/components/responses/${UNMATCHED_ROUTE_RESPONSE}`);
    }
    const status = String(answer.status);
    const documented = operation.responses[status] ?? operation.responses[`${status[0]}XX`];
    if (!documented) {
      return [`status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    }
    const pointer = `/paths/${pointerToken(operation.template)}/${method}/responses/${status}`;
    return problemsWith(answer, resolveResponse(documented as ResponseObject), pointer);
  }

  return {
    check,
    schemaProblems,
    /** the operation a request is answered by, if the document has one */
    operationFor: (method: string, url: string) => findOperation(method.toLowerCase(), new URL(url).pathname),
  };
}

export type ConformanceChecker = ReturnType<typeof createConformanceChecker>;

let servedDocumentChecker: ConformanceChecker | undefined;

/** Fails (throws) when an answer the suite received does not fit the document the service serves. */
export function assertAnswerConforms(answer: ObservedAnswer): void {
  servedDocumentChecker ??= createConformanceChecker(openApiDocument());
  const problems = servedDocumentChecker.check(answer);
  if (problems.length === 0) return;
  const route = servedDocumentChecker.operationFor(answer.method, answer.url)?.template ?? '(no documented route)';
  throw new Error(
    `The answer to ${answer.method.toUpperCase()} ${new URL(answer.url).pathname} (route ${route}) does not fit ` +
      `the OpenAPI document: status ${answer.status}: ${problems.join('; ')}. Body: ${JSON.stringify(answer.body).slice(0, 500)}`,
  );
}
