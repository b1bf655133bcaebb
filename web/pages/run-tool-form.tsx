/**
 * Runs a registered tool from a form made from its input schema, and shows what came back: the
 * output, or the tool's own error. The API's schema check is the judge of the input; its messages
 * are shown beside the fields they name.
 */
import { useMemo, useState } from 'preact/hooks';
import { JsonView } from '../components/code';
import { ErrorMessage, FormError, type FormProblem } from '../components/common';
import { SelectField, TextField } from '../components/fields';
import { asApiError, useApi } from '../hooks';
import { fieldErrorsOf, unplacedProblems, type FieldErrors, type FieldProblem } from '../lib/api-errors';
import type { ToolExecutionView, ToolView } from '../lib/api-types';
import { fieldNameOf, formFieldsOf, inputFromFields, inputFromJson, type FormField } from '../lib/schema-form';

/** A field's errors are keyed by its name; one without fields shows the whole input's under "input". */
function errorsByField(problems: readonly FieldProblem[]): FieldErrors {
  return fieldErrorsOf(problems.map((problem) => ({ ...problem, field: fieldNameOf(problem.field) ?? problem.field })));
}

const TYPE_HINTS: Record<FormField['kind'], string> = {
  text: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  choice: 'one of the choices',
  json: 'JSON',
  any: 'a value (read as JSON when it is JSON, else as text)',
};

function InputField(props: { field: FormField; value: string; error?: string; onValue: (value: string) => void }) {
  const { field } = props;
  const hint = [field.description, `Expects ${TYPE_HINTS[field.kind]}.`].filter(Boolean).join(' ');
  if (field.kind === 'boolean' || field.kind === 'choice') {
    const choices = field.kind === 'boolean' ? ['true', 'false'] : (field.choices ?? []);
    return (
      <SelectField
        label={field.name}
        value={props.value}
        onValue={props.onValue}
        options={[['', '(not given)'], ...choices.map((choice) => [choice, choice] as const)]}
        required={field.required}
        error={props.error}
        hint={hint}
      />
    );
  }
  return (
    <TextField
      label={field.name}
      value={props.value}
      onValue={props.onValue}
      required={field.required}
      error={props.error}
      hint={hint}
      rows={field.kind === 'json' ? 3 : undefined}
      monospace={field.kind === 'json' || field.kind === 'any'}
      inputMode={field.kind === 'number' ? 'decimal' : field.kind === 'integer' ? 'numeric' : undefined}
    />
  );
}

function Result({ execution }: { execution: ToolExecutionView }) {
  return (
    <section class="run-result" aria-labelledby="run-result-heading" aria-live="polite">
      <h3 id="run-result-heading">{execution.success ? 'Output' : 'The tool failed'}</h3>
      {execution.success ? (
        <JsonView value={execution.output} label="Output of the run" />
      ) : (
        <ErrorMessage>
          <span class="run-error">{execution.error}</span>
        </ErrorMessage>
      )}
      <p class="hint">
        {execution.name} v{execution.version}, {execution.executionTimeMs} ms
      </p>
    </section>
  );
}

export function RunToolForm({ tool }: { tool: ToolView }) {
  const api = useApi();
  const fields = useMemo(() => formFieldsOf(tool.inputSchema), [tool.inputSchema]);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [jsonInput, setJsonInput] = useState('{}');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<FormProblem | null>(null);
  const [execution, setExecution] = useState<ToolExecutionView | null>(null);
  const [running, setRunning] = useState(false);
  const names = new Set(fields.map((field) => field.name));
  const isPlaced = (path: string) => (fields.length === 0 ? path === 'input' : names.has(fieldNameOf(path) ?? ''));

  const showProblems = (message: string, problems: FieldProblem[]) => {
    setErrors(errorsByField(problems));
    setFormError({ message, unplaced: unplacedProblems(problems, isPlaced) });
  };

  const run = async (event: Event) => {
    event.preventDefault();
    const built = fields.length > 0 ? inputFromFields(fields, texts) : inputFromJson(jsonInput);
    setExecution(null);
    if (built.problems.length > 0) {
      showProblems('The input cannot be sent: fix the fields marked below.', built.problems);
      return;
    }
    setRunning(true);
    setErrors({});
    setFormError(null);
    try {
      setExecution(
        await api.post<ToolExecutionView>(`/tools/${encodeURIComponent(tool.toolId)}/execute`, {
          input: built.input,
        }),
      );
    } catch (failure) {
      const error = asApiError(failure);
      showProblems(error.message, error.fields);
    } finally {
      setRunning(false);
    }
  };

  return (
    <form class="run-form" onSubmit={run} noValidate aria-label={`Run ${tool.name}`}>
      {fields.length > 0 ? (
        fields.map((field) => (
          <InputField
            key={field.name}
            field={field}
            value={texts[field.name] ?? ''}
            error={errors[field.name]}
            onValue={(value) => setTexts({ ...texts, [field.name]: value })}
          />
        ))
      ) : (
        <TextField
          label="Input (JSON object)"
          value={jsonInput}
          onValue={setJsonInput}
          error={errors.input}
          rows={4}
          monospace
          hint="The input schema names no properties: write the tool's keyword arguments as a JSON object."
        />
      )}
      <FormError problem={formError} />
      <button type="submit" class="primary" disabled={running}>
        {running ? 'Running…' : `Run ${tool.name}`}
      </button>
      {execution ? <Result execution={execution} /> : null}
    </form>
  );
}
