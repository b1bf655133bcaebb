/**
 * Code and data, always as text: what a tool returns or a model wrote may contain markup, and it
 * is shown, never interpreted (Preact sets text, and no HTML string is ever handed to the DOM).
 */
import { useMemo } from 'preact/hooks';
import { highlightPython } from '../lib/python-highlight';

export function PythonCode({ code, label }: { code: string; label: string }) {
  const tokens = useMemo(() => highlightPython(code), [code]);
  return (
    // focusable, so a keyboard can scroll a wide listing
    <pre class="code" tabIndex={0} aria-label={label}>
      <code>
        {tokens.map((token, index) =>
          token.kind === 'plain' ? (
            token.text
          ) : (
            <span key={index} class={`tok-${token.kind}`}>
              {token.text}
            </span>
          ),
        )}
      </code>
    </pre>
  );
}

export function JsonView({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="code json" tabIndex={0} aria-label={label}>
      <code>{JSON.stringify(value, null, 2) ?? String(value)}</code>
    </pre>
  );
}
