/**
 * The console: asks for an API key once, then shows the page the URL's fragment names, under a
 * navigation bar. A key the API refuses later (revoked) brings the key page back with the reason.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useErrorBoundary, useMemo, useRef, useState } from 'preact/hooks';
import { createApiClient } from './api';
import { ErrorMessage } from './components/common';
import { ApiContext } from './hooks';
import { forgetApiKey, loadApiKey, saveApiKey } from './key-store';
import { hrefOf, parseRoute, type Route } from './lib/routes';
import { JobPage } from './pages/job-page';
import { JobsPage } from './pages/jobs-page';
import { KeyPage } from './pages/key-page';
import { SubmitPage } from './pages/submit-page';
import { ToolPage } from './pages/tool-page';
import { ToolsPage } from './pages/tools-page';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}

const SECTIONS = [
  { route: { page: 'submit' }, label: 'New job', covers: ['submit'] },
  { route: { page: 'jobs' }, label: 'Jobs', covers: ['jobs', 'job'] },
  { route: { page: 'tools' }, label: 'Registry', covers: ['tools', 'tool'] },
] as const;

function Navigation({ route, onChangeKey }: { route: Route; onChangeKey?: () => void }) {
  return (
    <header class="top">
      <a class="brand" href={hrefOf({ page: 'submit' })}>
        Toolsmith
      </a>
      {onChangeKey ? (
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((section) => (
              <li key={section.label}>
                <a
                  href={hrefOf(section.route)}
                  aria-current={(section.covers as readonly string[]).includes(route.page) ? 'page' : undefined}
                >
                  {section.label}
                </a>
              </li>
            ))}
          </ul>
          <button type="button" class="link-button" onClick={onChangeKey}>
            Change API key
          </button>
        </nav>
      ) : null}
    </header>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'submit':
      return <SubmitPage />;
    case 'jobs':
      return <JobsPage />;
    case 'job':
      return <JobPage key={route.jobId} jobId={route.jobId} />;
    case 'tools':
      return <ToolsPage />;
    case 'tool':
      return <ToolPage key={route.toolId} toolId={route.toolId} />;
    case 'not-found':
      return (
        <section>
          <h1>Not here</h1>
          <p>
            The console has no page at <code>{route.path}</code>. <a href={hrefOf({ page: 'submit' })}>Start a job</a>{' '}
            or <a href={hrefOf({ page: 'jobs' })}>see the jobs</a>.
          </p>
        </section>
      );
  }
}

/** A fault of the page itself is shown as one, never as a blank page; the navigation stays usable. */
function PageBoundary({ children }: { children: ComponentChildren }) {
  const [error, retry] = useErrorBoundary();
  if (!error) return <>{children}</>;
  return (
    <section>
      <h1>This page failed</h1>
      <ErrorMessage>Something went wrong in the page itself: {String((error as Error)?.message ?? error)}</ErrorMessage>
      <button type="button" class="secondary" onClick={retry}>
        Try again
      </button>
    </section>
  );
}

export function App() {
  const route = useRoute();
  const [key, setKey] = useState<string | null>(loadApiKey);
  const [keyProblem, setKeyProblem] = useState<string | null>(null);
  const main = useRef<HTMLElement>(null);

  const api = useMemo(
    () =>
      key
        ? createApiClient(key, (error) => {
            forgetApiKey();
            setKeyProblem(error.message);
            setKey(null);
          })
        : null,
    [key],
  );

  // A new page is announced and read from its start, as a page load would be.
  useEffect(() => {
    const heading = main.current?.querySelector<HTMLElement>('h1');
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }, [route, key]);

  const acceptKey = (candidate: string) => {
    saveApiKey(candidate);
    setKeyProblem(null);
    setKey(candidate);
  };
  const changeKey = () => {
    forgetApiKey();
    setKeyProblem(null);
    setKey(null);
  };

  return (
    <>
      <a class="skip-link" href="#main" onClick={(event) => (event.preventDefault(), main.current?.focus())}>
        Skip to the content
      </a>
      <Navigation route={route} onChangeKey={api ? changeKey : undefined} />
      <main id="main" ref={main} tabIndex={-1}>
        {api ? (
          <ApiContext.Provider value={api}>
            <PageBoundary key={location.hash}>
              <Page route={route} />
            </PageBoundary>
          </ApiContext.Provider>
        ) : (
          <KeyPage problem={keyProblem} onKey={acceptKey} />
        )}
      </main>
    </>
  );
}
