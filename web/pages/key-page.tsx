/**
 * Asks for an API key, once: it is tried on the API before it is kept, so a wrong key is refused
 * here with the API's own 401 message rather than on every page after.
 */
import { useState } from 'preact/hooks';
import { createApiClient } from '../api';
import { ErrorMessage } from '../components/common';
import { TextField } from '../components/fields';
import { asApiError } from '../hooks';

interface KeyPageProps {
  /** why a key is asked for again (the stored one was refused), if it is */
  problem: string | null;
  onKey: (key: string) => void;
}

export function KeyPage({ problem, onKey }: KeyPageProps) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(problem);
  const [checking, setChecking] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError('Enter an API key: it starts with tsk_.');
      return;
    }
    setChecking(true);
    setError(null);
    try {
      // any request that needs a key will do; this one is cheap
      await createApiClient(candidate, () => undefined).get('/jobs?limit=1');
      onKey(candidate);
    } catch (failure) {
      setError(asApiError(failure).message);
    } finally {
      setChecking(false);
    }
  };

  return (
    <section class="panel key-panel" aria-labelledby="key-heading">
      <h1 id="key-heading">Your API key</h1>
      <p>
        Every request to the API carries a key (<code>tsk_…</code>). <code>npm start</code> keeps one in{' '}
        <code>.data/dev-api-key</code>; an operator makes others with{' '}
        <code>npx toolsmith keys create --client &lt;id&gt;</code>. This browser keeps the key you enter, so it is asked
        for once.
      </p>
      <form onSubmit={submit} noValidate>
        <TextField
          label="API key"
          type="password"
          value={key}
          onValue={setKey}
          required
          monospace
          autoComplete="off"
          placeholder="tsk_…"
        />
        {error ? <ErrorMessage>{error}</ErrorMessage> : null}
        <button type="submit" disabled={checking}>
          {checking ? 'Checking the key…' : 'Use this key'}
        </button>
      </form>
    </section>
  );
}
