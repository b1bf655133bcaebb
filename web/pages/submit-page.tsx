/**
 * A new job: one or more requirements (what the tool does, its input, its output, optionally
 * examples it must pass), an optional client label. The API checks everything; its messages are
 * shown beside the fields they name.
 */
import { useState } from 'preact/hooks';
import { FormError, type FormProblem } from '../components/common';
import { CheckboxField, TextField } from '../components/fields';
import { asApiError, useApi } from '../hooks';
import { fieldErrorsOf, unplacedProblems, type FieldErrors, type FieldProblem } from '../lib/api-errors';
import type { JobResponse } from '../lib/api-types';
import {
  emptyExample,
  emptyRequirement,
  examplePath,
  jobRequestFrom,
  requirementPath,
  type ExampleDraft,
  type JobDraft,
  type RequirementDraft,
} from '../lib/requirement-form';
import { hrefOf } from '../lib/routes';
import { rememberJob } from '../recent-jobs';

const CLIENT_LABEL_PATH = 'metadata.clientId';

interface RequirementFieldsProps {
  index: number;
  count: number;
  draft: RequirementDraft;
  errors: FieldErrors;
  onChange: (draft: RequirementDraft) => void;
  onRemove: () => void;
}

function ExampleFields(props: {
  requirement: number;
  index: number;
  draft: ExampleDraft;
  errors: FieldErrors;
  onChange: (draft: ExampleDraft) => void;
  onRemove: () => void;
}) {
  const { requirement, index, draft, errors } = props;
  const set = (field: keyof ExampleDraft) => (value: string) => props.onChange({ ...draft, [field]: value });
  const number = index + 1;
  return (
    <fieldset class="example">
      <legend>Example {number}</legend>
      <TextField
        label={`Example ${number} input (JSON object)`}
        value={draft.input}
        onValue={set('input')}
        error={errors[examplePath(requirement, index, 'input')]}
        rows={2}
        monospace
        placeholder='{"smiles": "CCO"}'
      />
      <TextField
        label={`Example ${number} expected output (JSON)`}
        value={draft.output}
        onValue={set('output')}
        error={errors[examplePath(requirement, index, 'output')]}
        rows={2}
        monospace
        placeholder='{"molecular_weight": 46.07}'
      />
      <TextField
        label={`Example ${number} tolerance (optional)`}
        value={draft.tolerance}
        onValue={set('tolerance')}
        error={errors[examplePath(requirement, index, 'tolerance')]}
        inputMode="decimal"
        hint="How far a number in the output may be from the expected one."
      />
      <button type="button" class="secondary" onClick={props.onRemove}>
        Remove example {number}
      </button>
    </fieldset>
  );
}

const REQUIREMENT_TEXT_FIELDS: {
  field: 'description' | 'input' | 'output';
  label: string;
  hint: string;
  rows?: number;
}[] = [
  { field: 'description', label: 'Description', hint: 'What the tool should do, in words.', rows: 3 },
  { field: 'input', label: 'Input', hint: 'What it takes, e.g. “SMILES string of the molecule”.' },
  { field: 'output', label: 'Output', hint: 'What it returns, e.g. “molecular weight”.' },
];

function RequirementFields({ index, count, draft, errors, onChange, onRemove }: RequirementFieldsProps) {
  const set = (field: 'description' | 'input' | 'output') => (value: string) => onChange({ ...draft, [field]: value });
  const setExample = (at: number, example: ExampleDraft) =>
    onChange({ ...draft, examples: draft.examples.map((old, i) => (i === at ? example : old)) });
  const examplesError = errors[requirementPath(index, 'examples')];
  const heading = count > 1 ? `Tool ${index + 1}` : 'The tool';
  return (
    <fieldset class="requirement">
      <legend>{heading}</legend>
      {REQUIREMENT_TEXT_FIELDS.map(({ field, label, hint, rows }) => (
        <TextField
          key={field}
          label={label}
          value={draft[field]}
          onValue={set(field)}
          error={errors[requirementPath(index, field)]}
          rows={rows}
          required
          hint={hint}
        />
      ))}
      <div class="examples">
        <p class="hint">
          Examples (optional): inputs with the output the tool must give; it is registered only if it passes them.
        </p>
        {examplesError ? <p class="field-error">{examplesError}</p> : null}
        {draft.examples.map((example, at) => (
          <ExampleFields
            key={at}
            requirement={index}
            index={at}
            draft={example}
            errors={errors}
            onChange={(changed) => setExample(at, changed)}
            onRemove={() => onChange({ ...draft, examples: draft.examples.filter((_, i) => i !== at) })}
          />
        ))}
        <button
          type="button"
          class="secondary"
          onClick={() => onChange({ ...draft, examples: [...draft.examples, emptyExample()] })}
        >
          Add an example{count > 1 ? ` to tool ${index + 1}` : ''}
        </button>
      </div>
      {count > 1 ? (
        <button type="button" class="secondary danger" onClick={onRemove}>
          Remove tool {index + 1}
        </button>
      ) : null}
    </fieldset>
  );
}

/** Every path a field of this form shows, so a problem with another path is shown at the top. */
function isPlaced(draft: JobDraft) {
  return (field: string): boolean => {
    if (field === CLIENT_LABEL_PATH) return true;
    const match =
      /^toolRequirements\.(\d+)\.(description|input|output|examples)(?:\.(\d+)\.(input|output|tolerance))?$/.exec(
        field,
      );
    if (!match) return false;
    const requirement = draft.requirements[Number(match[1])];
    if (!requirement) return false;
    if (match[2] !== 'examples') return true;
    return match[3] === undefined || requirement.examples[Number(match[3])] !== undefined;
  };
}

export function SubmitPage() {
  const api = useApi();
  const [draft, setDraft] = useState<JobDraft>({ requirements: [emptyRequirement()], clientLabel: '', reuse: true });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<FormProblem | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const showProblems = (message: string, problems: FieldProblem[]) => {
    setErrors(fieldErrorsOf(problems));
    setFormError({ message, unplaced: unplacedProblems(problems, isPlaced(draft)) });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const request = jobRequestFrom(draft);
    if (request.problems.length > 0) {
      showProblems('Some examples cannot be sent: fix the fields marked below.', request.problems);
      return;
    }
    setSubmitting(true);
    try {
      const job = await api.post<JobResponse>('/jobs', request.body);
      rememberJob(job);
      location.hash = hrefOf({ page: 'job', jobId: job.jobId });
    } catch (failure) {
      const error = asApiError(failure);
      showProblems(
        error.message,
        error.fields.map((problem) => ({ ...problem, field: request.formPathOf(problem.field) })),
      );
    } finally {
      setSubmitting(false);
    }
  };

  const setRequirement = (at: number, requirement: RequirementDraft) =>
    setDraft({ ...draft, requirements: draft.requirements.map((old, i) => (i === at ? requirement : old)) });

  return (
    <section aria-labelledby="submit-heading">
      <h1 id="submit-heading">New job</h1>
      <p>Describe the tools you need; each becomes a tested Python function in the registry.</p>
      <form onSubmit={submit} noValidate>
        <FormError problem={formError} />
        {draft.requirements.map((requirement, index) => (
          <RequirementFields
            key={index}
            index={index}
            count={draft.requirements.length}
            draft={requirement}
            errors={errors}
            onChange={(changed) => setRequirement(index, changed)}
            onRemove={() => setDraft({ ...draft, requirements: draft.requirements.filter((_, i) => i !== index) })}
          />
        ))}
        <button
          type="button"
          class="secondary"
          onClick={() => setDraft({ ...draft, requirements: [...draft.requirements, emptyRequirement()] })}
        >
          Add another tool
        </button>
        <fieldset>
          <legend>About the job</legend>
          <TextField
            label="Client label (optional)"
            value={draft.clientLabel}
            onValue={(clientLabel) => setDraft({ ...draft, clientLabel })}
            error={errors[CLIENT_LABEL_PATH]}
            hint="Your own name for who asked (metadata.clientId); jobs can be filtered by it."
          />
          <CheckboxField
            label="Reuse a registered tool that answers the same requirement"
            checked={draft.reuse}
            onChecked={(reuse) => setDraft({ ...draft, reuse })}
            hint="Unchecked: every tool is generated afresh, as a new version."
          />
        </fieldset>
        <button type="submit" class="primary" disabled={submitting}>
          {submitting ? 'Submitting…' : 'Submit job'}
        </button>
      </form>
    </section>
  );
}
