/** Small pieces every page uses: status badges, messages, copying, paging, dates. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** Something went wrong: announced at once to a screen reader, shown in red. */
export function ErrorMessage({ children }: { children: ComponentChildren }) {
  return (
    <div class="message message-error" role="alert">
      {children}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <div class="message message-notice" role="status">
      {children}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Copies `text`; where the browser refuses, says how to copy it by hand. */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [outcome, setOutcome] = useState<string>('');
  const copy = () => {
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) {
      setOutcome('Copying is not available here: select the text and copy it.');
      return;
    }
    clipboard.writeText(text).then(
      () => setOutcome('Copied.'),
      () => setOutcome('The browser did not allow copying: select the text and copy it.'),
    );
  };
  return (
    <div class="copy">
      <button type="button" class="secondary" onClick={copy}>
        Copy {what}
      </button>
      <span class="copy-outcome" role="status">
        {outcome}
      </span>
    </div>
  );
}

interface PagerProps {
  /** the page shown is not the first */
  hasNewer: boolean;
  hasOlder: boolean;
  onNewer: () => void;
  onOlder: () => void;
  label: string;
}

export function Pager(props: PagerProps) {
  if (!props.hasNewer && !props.hasOlder) return null;
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" class="secondary" disabled={!props.hasNewer} onClick={props.onNewer}>
        ← Newer
      </button>
      <button type="button" class="secondary" disabled={!props.hasOlder} onClick={props.onOlder}>
        Older →
      </button>
    </nav>
  );
}

/** What keeps a form from being sent: the API's (or the page's) sentence, and the problems no field shows. */
export interface FormProblem {
  message: string;
  unplaced: string[];
}

export function FormError({ problem }: { problem: FormProblem | null }) {
  if (!problem) return null;
  return (
    <ErrorMessage>
      <p>{problem.message}</p>
      {problem.unplaced.length > 0 ? (
        <ul>
          {problem.unplaced.map((text) => (
            <li key={text}>{text}</li>
          ))}
        </ul>
      ) : null}
    </ErrorMessage>
  );
}
