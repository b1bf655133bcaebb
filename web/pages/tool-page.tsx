/**
 * One version of a tool: what it does, its versions, a form that runs it, its code, schemas and
 * test cases, its OpenAI function definition and how to reach it over MCP, and deprecation.
 */
import { useState } from 'preact/hooks';
import { JsonView, PythonCode } from '../components/code';
import { CopyButton, ErrorMessage, formatTime, Loading, StatusBadge } from '../components/common';
import { asApiError, useApi, useLoad } from '../hooks';
import type { OpenAiFunction, ToolView } from '../lib/api-types';
import { hrefOf } from '../lib/routes';
import { RunToolForm } from './run-tool-form';

/** For MCP clients that take a URL; the key stays a placeholder: the page never shows it. */
function mcpConfig(origin: string): string {
  const config = {
    mcpServers: {
      toolsmith: { type: 'http', url: `${origin}/mcp`, headers: { Authorization: 'Bearer <your key>' } },
    },
  };
  return JSON.stringify(config, null, 2);
}

function Deprecation({ tool, onDeprecated }: { tool: ToolView; onDeprecated: (tool: ToolView) => void }) {
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const deprecate = async () => {
    setBusy(true);
    setError(null);
    try {
      onDeprecated(await api.post<ToolView>(`/tools/${encodeURIComponent(tool.toolId)}/deprecate`, {}));
    } catch (failure) {
      setError(asApiError(failure).message);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <section aria-labelledby="deprecate-heading">
      <h2 id="deprecate-heading">Deprecate</h2>
      <p>A deprecated version stays readable but no longer runs, over HTTP, as a function or through MCP.</p>
      {confirming ? (
        <div class="actions" role="group" aria-label="Confirm deprecation">
          <button type="button" class="danger" disabled={busy} onClick={deprecate}>
            Yes, deprecate version {tool.version}
          </button>
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" class="secondary danger" onClick={() => setConfirming(true)}>
          Deprecate {tool.name} v{tool.version}
        </button>
      )}
      {error ? <ErrorMessage>{error}</ErrorMessage> : null}
    </section>
  );
}

function OpenAiDefinition({ toolId }: { toolId: string }) {
  const api = useApi();
  const definition = useLoad(
    (signal) => api.get<OpenAiFunction>(`/tools/${encodeURIComponent(toolId)}/openai`, signal),
    [api, toolId],
  );
  if (definition.error) return <ErrorMessage>{definition.error.message}</ErrorMessage>;
  if (!definition.data) return <Loading what="the definition" />;
  const text = JSON.stringify(definition.data, null, 2);
  return (
    <>
      <JsonView value={definition.data} label="OpenAI function definition" />
      <CopyButton text={text} what="the definition" />
    </>
  );
}

function Calling({ tool }: { tool: ToolView }) {
  const config = mcpConfig(location.origin);
  return (
    <section aria-labelledby="calling-heading">
      <h2 id="calling-heading">Calling it from a model</h2>
      <h3>As an OpenAI function</h3>
      <p>
        The Responses API definition (<code>GET /api/v1/tools/{tool.toolId}/openai</code>); answer its calls with{' '}
        <code>POST /api/v1/execute-tool</code>.
      </p>
      <OpenAiDefinition toolId={tool.toolId} />
      <h3>Over MCP</h3>
      <p>
        Every registered tool is served at <code>{location.origin}/mcp</code>. For a client that takes a URL:
      </p>
      <pre class="code json" tabIndex={0} aria-label="MCP client configuration">
        <code>{config}</code>
      </pre>
      <CopyButton text={config} what="the MCP configuration" />
    </section>
  );
}

type TestCaseView = ToolView['testCases'][number];

/** What a test expects, in words: an exception (with part of its message), or nothing more to say. */
function expectedException(testCase: TestCaseView): string | null {
  if (testCase.raises === undefined) return null;
  const match = testCase.match === undefined ? '' : ` with a message containing ${JSON.stringify(testCase.match)}`;
  return `Expects the tool to raise ${testCase.raises}${match}.`;
}

function TestCases({ tool }: { tool: ToolView }) {
  if (tool.testCases.length === 0) return <p>This version has no test cases.</p>;
  return (
    <ol class="test-cases">
      {tool.testCases.map((testCase, index) => {
        const raises = expectedException(testCase);
        const { input, expectedOutput, tolerance, match } = testCase;
        return (
          <li key={index}>
            <p class="hint">
              {testCase.source === 'client' ? 'An acceptance example of the requirement' : 'Written with the code'}
            </p>
            {raises && <p class="expects-exception">{raises}</p>}
            <JsonView
              value={
                testCase.raises === undefined
                  ? { input, expectedOutput, tolerance }
                  : { input, raises: testCase.raises, ...(match === undefined ? {} : { match }) }
              }
              label={`Test case ${index + 1}`}
            />
          </li>
        );
      })}
    </ol>
  );
}

export function ToolPage({ toolId }: { toolId: string }) {
  const api = useApi();
  const loaded = useLoad((signal) => api.get<ToolView>(`/tools/${encodeURIComponent(toolId)}`, signal), [api, toolId]);
  const tool = loaded.data;
  if (!tool) {
    return loaded.error ? (
      <section>
        <h1>Tool</h1>
        <ErrorMessage>{loaded.error.message}</ErrorMessage>
      </section>
    ) : (
      <Loading what="the tool" />
    );
  }
  const runnable = tool.status === 'registered';
  return (
    <section aria-labelledby="tool-heading" key={tool.toolId}>
      <h1 id="tool-heading">
        <code>{tool.name}</code> v{tool.version}
      </h1>
      <p class="tool-status">
        Status: <StatusBadge status={tool.status} />
      </p>
      <p>{tool.description}</p>
      <dl class="facts">
        <dt>File</dt>
        <dd>
          <code>{tool.filePath}</code>
        </dd>
        <dt>Dependencies</dt>
        <dd>{tool.dependencies.length ? tool.dependencies.join(', ') : 'none'}</dd>
        <dt>Made by job</dt>
        <dd>
          <a href={hrefOf({ page: 'job', jobId: tool.jobId })}>
            <code>{tool.jobId}</code>
          </a>
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(tool.createdAt)}</dd>
      </dl>
      <section aria-labelledby="versions-heading">
        <h2 id="versions-heading">Versions</h2>
        <ul class="versions">
          {tool.versions.map((version) => (
            <li key={version.toolId}>
              {version.toolId === tool.toolId ? (
                <strong aria-current="page">v{version.version}</strong>
              ) : (
                <a href={hrefOf({ page: 'tool', toolId: version.toolId })}>v{version.version}</a>
              )}{' '}
              <StatusBadge status={version.status} /> {formatTime(version.createdAt)}
            </li>
          ))}
        </ul>
      </section>
      {tool.errors.length > 0 ? (
        <section aria-labelledby="errors-heading">
          <h2 id="errors-heading">Why it failed</h2>
          <ul class="failures">
            {tool.errors.map((error, index) => (
              <li key={index} class="failure-message">
                {error}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="run-heading">
        <h2 id="run-heading">Run it</h2>
        {runnable ? <RunToolForm tool={tool} /> : <p>Only registered versions run; this one is {tool.status}.</p>}
      </section>
      <section aria-labelledby="code-heading">
        <h2 id="code-heading">Code</h2>
        <PythonCode code={tool.code} label={`Code of ${tool.name}`} />
      </section>
      <section aria-labelledby="schemas-heading">
        <h2 id="schemas-heading">Schemas</h2>
        <h3>Input</h3>
        <JsonView value={tool.inputSchema} label="Input schema" />
        <h3>Output</h3>
        <JsonView value={tool.outputSchema} label="Output schema" />
      </section>
      <section aria-labelledby="tests-heading">
        <h2 id="tests-heading">Test cases</h2>
        <TestCases tool={tool} />
      </section>
      {runnable ? <Calling tool={tool} /> : null}
      {runnable ? <Deprecation tool={tool} onDeprecated={loaded.setData} /> : null}
    </section>
  );
}
