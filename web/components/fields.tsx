/**
 * Form controls, each with its label, an optional hint, and the message of what is wrong with it
 * right beside it (tied to the control with aria-describedby, so a screen reader reads it too).
 */
import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

interface FieldFrameProps {
  id: string;
  label: string;
  required?: boolean;
  hint?: ComponentChildren;
  error?: string;
  children: ComponentChildren;
}

function FieldFrame({ id, label, required, hint, error, children }: FieldFrameProps) {
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      <label for={id}>
        {label}
        {required ? <span class="required"> (required)</span> : null}
      </label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {children}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, error: string | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

interface TextFieldProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string;
  hint?: ComponentChildren;
  required?: boolean;
  /** a textarea of this many rows */
  rows?: number;
  type?: 'text' | 'password';
  inputMode?: 'text' | 'decimal' | 'numeric';
  placeholder?: string;
  autoComplete?: string;
  monospace?: boolean;
}

export function TextField(props: TextFieldProps) {
  const id = useId();
  const common = {
    id,
    value: props.value,
    placeholder: props.placeholder,
    class: props.monospace ? 'mono' : undefined,
    'aria-invalid': props.error ? true : undefined,
    'aria-required': props.required ? true : undefined,
    'aria-describedby': describedBy(id, props.hint, props.error),
    spellcheck: props.monospace ? false : undefined,
    onInput: (event: Event) => props.onValue((event.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
  };
  return (
    <FieldFrame id={id} label={props.label} required={props.required} hint={props.hint} error={props.error}>
      {props.rows ? (
        <textarea {...common} rows={props.rows} />
      ) : props.type === 'password' ? (
        <input {...common} type="password" autoComplete={props.autoComplete ?? 'off'} />
      ) : (
        <input {...common} type="text" inputMode={props.inputMode} autoComplete={props.autoComplete ?? 'off'} />
      )}
    </FieldFrame>
  );
}

interface SelectFieldProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  /** [value, what the option says] */
  options: readonly (readonly [string, string])[];
  error?: string;
  hint?: ComponentChildren;
  required?: boolean;
}

export function SelectField(props: SelectFieldProps) {
  const id = useId();
  return (
    <FieldFrame id={id} label={props.label} required={props.required} hint={props.hint} error={props.error}>
      <select
        id={id}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(id, props.hint, props.error)}
        onChange={(event) => props.onValue(event.currentTarget.value)}
      >
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

interface CheckboxFieldProps {
  label: string;
  checked: boolean;
  onChecked: (checked: boolean) => void;
  hint?: ComponentChildren;
}

export function CheckboxField(props: CheckboxFieldProps) {
  const id = useId();
  return (
    <div class="field field-checkbox">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(event) => props.onChecked(event.currentTarget.checked)}
      />
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}
