import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { ConsolePage, horizontalOverflow, launchChromium, unnamedControls } from '../helpers/browser';
import { loadExample } from '../../dev/examples';
import { requirement } from '../../dev/jobs';
import { asClient, pollUntil, postJson, request } from '../../dev/http';
import { makeMolecularWeightTool, registerHandMadeTool } from '../../dev/registered-tools';
import { useTestStack } from '../../dev/stack';
import { waitFor } from '../../dev/wait';

const seed = loadExample<{ toolRequirements: { description: string; input: string; output: string }[] }>(
  'molecular-weight.json',
);
const LOTTERY = 'Predict the winning lottery numbers of the next draw.';
const TEMPERATURE = 'Convert a temperature between Celsius, Fahrenheit and Kelvin.';
/** how long a job of a tool or two may take on a busy machine */
const JOB_TIMEOUT_MS = 90_000;

/** Markup a tool returns and holds in its code: it must be shown as these characters, never run. */
const MARKUP = '<img src=x onerror=alert(1)>';

/** The error shown beside the control labelled `label`. */
function errorBeside(page: Page, label: RegExp): Locator {
  return page
    .locator('.field')
    .filter({ has: page.getByLabel(label) })
    .locator('.field-error');
}

async function waitForText(locator: Locator, text: RegExp | string, timeout?: number): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
}

const jobStatus = (page: Page) => page.locator('.job-status .badge');

async function signIn(console: ConsolePage, apiKey: string): Promise<void> {
  await console.page.goto('/');
  await console.page.getByLabel(/^API key/).fill(apiKey);
  await console.page.getByRole('button', { name: 'Use this key' }).click();
  await console.page.getByRole('heading', { level: 1, name: 'New job' }).waitFor();
}

async function fillRequirement(page: Page, requirement: { description: string; input: string; output: string }) {
  await page.getByLabel(/^Description/).fill(requirement.description);
  await page.getByLabel(/^Input/).fill(requirement.input);
  await page.getByLabel(/^Output/).fill(requirement.output);
}

/** Submits the form and waits for the job's page; returns the job id it shows. */
async function submitJob(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Submit job' }).click();
  await page.getByRole('heading', { level: 1, name: /^Job job_/ }).waitFor();
  return (await page.locator('.job-id').innerText()).trim();
}

/** Records every status the job page shows, from now on, as it changes (read back by `statusesShown`). */
async function recordStatusesShown(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.statusesShown = [];
    const record = () => {
      const shown = document.querySelector('.job-status .badge')?.textContent;
      if (shown && window.statusesShown.at(-1) !== shown) window.statusesShown.push(shown);
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

const statusesShown = (page: Page) => page.evaluate<string[]>('window.statusesShown');

describe('the web console, in a real browser (Chromium through playwright-core)', function () {
  this.timeout(120_000);
  // The model takes a moment per call, as real ones do, so a job's progress can be watched.
  const script = catalogueScript(standardCatalogue, { delayMs: 400 });
  const stack = useTestStack(script);
  let browser: Browser;
  let origin: string;
  let page: ConsolePage;

  before(async () => {
    browser = await launchChromium();
    origin = stack().apiUrl.replace(/\/api\/v1$/, '');
  });
  after(async () => browser?.close());

  beforeEach(async () => {
    page = await ConsolePage.open(browser, origin);
  });
  afterEach(async () => {
    try {
      page.assertNothingBroke();
    } finally {
      await page.close();
    }
  });

  it('serves the page and its two bundled files without a key, under a content security policy', async () => {
    const noKey = { headers: asClient('') };
    const served = await request(`${origin}/`, noKey);
    assert.equal(served.status, 200);
    assert.match(served.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(served.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    assert.match(served.body, /<script src="\/assets\/console\.js" defer><\/script>/);
    const script = await request(`${origin}/assets/console.js`, noKey);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const styles = await request(`${origin}/assets/console.css`, noKey);
    assert.match(styles.headers.get('content-type') ?? '', /^text\/css/);
    assert.equal((await request(`${origin}/assets/secrets.js`, noKey)).status, 404);
    assert.equal((await request(`${stack().apiUrl}/jobs`, noKey)).status, 401, 'the API itself still needs a key');
  });

  it('asks for the API key once, by keyboard too: a wrong key shows the API’s 401 message, a good one is kept', async () => {
    page.expectHttpErrors(401);
    const { page: tab } = page;
    await tab.goto('/');
    assert.deepEqual(await unnamedControls(tab), []);
    await tab.getByLabel(/^API key/).fill('tsk_this_is_not_a_key');
    await tab.getByLabel(/^API key/).press('Enter');
    await waitForText(tab.getByRole('alert'), 'The API key is not valid: it is unknown or has been revoked.');
    await page.screenshot('key-refused');

    await tab.getByLabel(/^API key/).fill('');
    await tab.getByLabel(/^API key/).focus();
    await tab.keyboard.type(stack().apiKey);
    await tab.keyboard.press('Tab');
    await tab.keyboard.press('Enter'); // on "Use this key"
    await tab.getByRole('heading', { level: 1, name: 'New job' }).waitFor();

    await tab.reload();
    await tab.getByRole('heading', { level: 1, name: 'New job' }).waitFor();
    assert.equal(await tab.getByLabel(/^API key/).count(), 0, 'the key was kept: it is not asked for again');
  });

  it("submits the seed's molecular-weight requirement and watches the job reach completed live, without a reload", async () => {
    const { page: tab } = page;
    await signIn(page, stack().apiKey);
    await recordStatusesShown(tab);
    await fillRequirement(tab, seed.toolRequirements[0]!);
    await tab.getByLabel(/^Client label/).fill('web-app');
    // afresh, whatever an earlier test registered: the job is watched from its first stage
    await tab.getByLabel(/^Reuse a registered tool/).uncheck();
    const jobId = await submitJob(tab);
    assert.match(jobId, /^job_[0-9a-f]{24}$/);

    await waitForText(jobStatus(tab), /^completed$/, JOB_TIMEOUT_MS);
    const shown = await statusesShown(tab);
    assert.notEqual(shown[0], 'completed', `the page showed the job before it ended: ${shown.join(' → ')}`);
    assert.equal(shown.at(-1), 'completed');
    assert.ok(await tab.evaluate('window.statusesShown !== undefined'), 'the page was never reloaded');

    const row = tab.locator('.tool-row').filter({ hasText: 'calculate_molecular_weight' });
    await waitForText(row.locator('[aria-current="step"]'), 'registered');
    await waitForText(row.locator('.attempts'), '1 implementation attempt');
    await waitForText(tab.locator('.tok-keyword'), /^def$/);
    await waitForText(tab.locator('.tok-function'), /^calculate_molecular_weight$/);

    const job = (await request(`${stack().apiUrl}/jobs/${jobId}`)).body;
    assert.equal(
      await tab.getByRole('link', { name: 'Open this run in the Temporal Web UI' }).getAttribute('href'),
      job.temporal.uiUrl,
    );
    const tokens = tab.locator('.summary dt:text-is("Model tokens") + dd');
    await waitForText(tokens, String(job.summary.totalTokens));
    assert.equal(
      await tab.getByRole('button', { name: /Cancel job|Retry job/ }).count(),
      0,
      'nothing to cancel or retry',
    );
    await page.screenshot('job-completed');
  });

  it('opens the tool from the registry and runs it on CCO through the form made from its input schema', async () => {
    page.expectHttpErrors(400);
    const toolId = await makeMolecularWeightTool(stack());
    const { page: tab } = page;
    await signIn(page, stack().apiKey);
    await tab.getByRole('link', { name: 'Registry', exact: true }).click();
    await tab.locator(`a[href="#/tools/${toolId}"]`).click();
    await tab.getByRole('heading', { level: 1, name: /calculate_molecular_weight v\d+/ }).waitFor();
    await waitForText(tab.locator('.tool-status .badge'), 'registered');
    await waitForText(tab.getByLabel('Input schema'), '"smiles"');
    await waitForText(tab.getByLabel('Test case 1'), '"CCO"');
    await waitForText(tab.getByLabel('OpenAI function definition'), '"name": "calculate_molecular_weight"');
    await waitForText(tab.getByLabel('MCP client configuration'), `"url": "${origin}/mcp"`);
    assert.deepEqual(await unnamedControls(tab), []);

    await page.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await tab.getByRole('button', { name: 'Copy the MCP configuration' }).click();
    await waitForText(tab.locator('.copy-outcome'), 'Copied.');
    const copied = JSON.parse(await tab.evaluate<string>('navigator.clipboard.readText()'));
    assert.deepEqual(copied.mcpServers.toolsmith, {
      type: 'http',
      url: `${origin}/mcp`,
      headers: { Authorization: 'Bearer <your key>' },
    });

    await tab.getByLabel(/^smiles/).fill('CCO');
    await tab.getByRole('button', { name: 'Run calculate_molecular_weight' }).click();
    await tab.getByLabel('Output of the run').waitFor();
    const output = JSON.parse(await tab.getByLabel('Output of the run').innerText());
    assert.ok(Math.abs(output.molecular_weight - 46.07) < 0.01, `got ${JSON.stringify(output)}`);
    await page.screenshot('tool-run');
    await tab.evaluate('window.scrollTo(0, 0)');
    await page.screenshot('tool-run-window', { fullPage: false });

    // the tool's own error, shown as it said it
    await tab.getByLabel(/^smiles/).fill('xyz');
    await tab.getByRole('button', { name: 'Run calculate_molecular_weight' }).click();
    await waitForText(tab.locator('.run-error'), 'ValueError: Invalid SMILES string: xyz');

    // an empty required field: the API's schema check says so, beside the field
    await tab.getByLabel(/^smiles/).fill('');
    await tab.getByRole('button', { name: 'Run calculate_molecular_weight' }).click();
    await waitForText(errorBeside(tab, /^smiles/), 'is required');
  });

  it('shows the API’s message beside a run form field filled with the wrong type', async () => {
    page.expectHttpErrors(400);
    const tool = await registerHandMadeTool(stack(), {
      name: 'scale_value',
      code: 'def scale_value(value: float, times: int) -> dict:\n    return {"scaled": value * times}\n',
      inputSchema: {
        type: 'object',
        properties: { value: { type: 'number' }, times: { type: 'integer' } },
        required: ['value', 'times'],
      },
    });
    const { page: tab } = page;
    await signIn(page, stack().apiKey);
    await tab.goto(`/#/tools/${tool._id.toHexString()}`);
    await tab.getByLabel(/^value/).fill('heavy');
    await tab.getByLabel(/^times/).fill('2.5');
    await tab.getByRole('button', { name: 'Run scale_value' }).click();
    await waitForText(errorBeside(tab, /^value/), 'must be number');
    await waitForText(errorBeside(tab, /^times/), 'must be integer');
    await waitForText(tab.getByRole('alert'), /Invalid request: input\.value must be number/);
    await page.screenshot('run-form-wrong-types');

    await tab.getByLabel(/^value/).fill('1.5');
    await tab.getByLabel(/^times/).fill('4');
    await tab.getByRole('button', { name: 'Run scale_value' }).click();
    await waitForText(tab.getByLabel('Output of the run'), '"scaled": 6');
    assert.equal(await tab.locator('.field-error').count(), 0, 'the earlier messages are gone');

    await tab.getByRole('button', { name: 'Deprecate scale_value v1' }).click();
    await tab.getByRole('button', { name: 'Yes, deprecate version 1' }).click();
    await waitForText(tab.locator('.tool-status .badge'), 'deprecated');
    await tab.getByText('Only registered versions run; this one is deprecated.').waitFor();
    assert.equal(await tab.getByRole('button', { name: 'Run scale_value' }).count(), 0);
  });

  it('shows a tool’s code and output that contain HTML as text, never as markup', async () => {
    const tool = await registerHandMadeTool(stack(), {
      name: 'echo_markup',
      code: `def echo_markup() -> dict:\n    """Returns ${MARKUP}"""\n    return {"html": "${MARKUP}"}\n`,
    });
    const { page: tab } = page;
    await signIn(page, stack().apiKey);
    await tab.goto(`/#/tools/${tool._id.toHexString()}`);
    await waitForText(tab.getByLabel('Code of echo_markup'), MARKUP);
    await tab.getByRole('button', { name: 'Run echo_markup' }).click();
    await waitForText(tab.getByLabel('Output of the run'), `"html": "${MARKUP}"`);
    assert.equal(await tab.locator('img').count(), 0, 'no markup of the tool became an element');
    await page.screenshot('markup-as-text');
  });

  it('submits a requirement that fails and shows its failure message, with retry offered', async () => {
    const { page: tab } = page;
    await signIn(page, stack().apiKey);
    await fillRequirement(tab, { description: LOTTERY, input: 'the draw date', output: 'six numbers' });
    await submitJob(tab);
    await waitForText(jobStatus(tab), /^completed$/, JOB_TIMEOUT_MS);
    await waitForText(tab.locator('.failure-requirement'), LOTTERY);
    await waitForText(tab.locator('.failure-message'), /after 4 attempts/);
    const row = tab.locator('.tool-row').filter({ hasText: 'predict_lottery_numbers' });
    await waitForText(row.locator('.badge'), 'failed');
    await tab.getByRole('button', { name: 'Retry job' }).waitFor();
    await page.screenshot('job-failed');
  });

  it('cancels a running job from its page, then retries it to completion', async () => {
    const { page: tab } = page;
    // The model thinks for a long while: the job is surely running when it is cancelled.
    stack().model.setScript(catalogueScript(standardCatalogue, { delayMs: 60_000 }));
    await signIn(page, stack().apiKey);
    await fillRequirement(tab, { description: TEMPERATURE, input: 'a value and two units', output: 'the value' });
    await tab.getByLabel(/^Reuse a registered tool/).uncheck();
    await submitJob(tab);
    await tab.getByRole('button', { name: 'Cancel job' }).click();
    await waitForText(jobStatus(tab), /^cancelled$/, JOB_TIMEOUT_MS);
    assert.equal(await tab.getByRole('button', { name: 'Cancel job' }).count(), 0);

    stack().model.setScript(script);
    await tab.getByRole('button', { name: 'Retry job' }).click();
    await waitForText(jobStatus(tab), /^completed$/, JOB_TIMEOUT_MS);
    const row = tab.locator('.tool-row').filter({ hasText: 'convert_temperature' });
    await waitForText(row.locator('[aria-current="step"]'), 'registered');
  });

  it('shows the API’s messages beside empty and over-long fields, and its own for examples that are not JSON', async () => {
    page.expectHttpErrors(400);
    const { page: tab } = page;
    await signIn(page, stack().apiKey);
    await tab.getByRole('button', { name: 'Submit job' }).click();
    for (const label of [/^Description/, /^Input/, /^Output/]) {
      await waitForText(errorBeside(tab, label), 'must not be empty');
    }
    await waitForText(tab.getByRole('alert'), /^Invalid request: toolRequirements\.0\.description must not be empty/);
    await page.screenshot('submit-empty');

    await fillRequirement(tab, { description: 'd'.repeat(10_001), input: 'a number', output: 'a number' });
    await tab.getByRole('button', { name: 'Submit job' }).click();
    await waitForText(errorBeside(tab, /^Description/), 'must be at most 10000 characters');
    assert.equal(await errorBeside(tab, /^Input/).count(), 0, 'only the field at fault is marked');

    await tab.getByRole('button', { name: 'Add an example' }).click();
    await tab.getByLabel(/^Example 1 input/).fill('{"value": 1');
    await tab.getByLabel(/^Example 1 expected output/).fill('2');
    await tab.getByRole('button', { name: 'Submit job' }).click();
    await waitForText(errorBeside(tab, /^Example 1 input/), 'is not valid JSON');
  });

  it('lists the jobs newest first, filters them by status and pages through them', async () => {
    const api = stack().apiUrl;
    // enough jobs for two pages of five; reusing the registered tool, each ends at once
    await makeMolecularWeightTool(stack());
    const made = await Promise.all(
      Array.from({ length: 6 }, async () => (await postJson(`${api}/jobs`, seed)).body.jobId as string),
    );
    // and one cancelled while its model thinks, for the status filter to single out
    stack().model.setScript(catalogueScript(standardCatalogue, { delayMs: 60_000 }));
    const slow = await postJson(`${api}/jobs`, {
      toolRequirements: [requirement(TEMPERATURE)],
      options: { reuse: false },
    });
    assert.equal((await postJson(`${api}/jobs/${slow.body.jobId}/cancel`, {})).status, 202);
    await pollUntil(`${api}/jobs?limit=100`, (answer) =>
      [...made, slow.body.jobId].every((jobId) =>
        answer.body.jobs.some((job: any) => job.jobId === jobId && ['completed', 'cancelled'].includes(job.status)),
      ),
    );
    const idsOfApi = async (query: string) => {
      const { jobs, nextCursor } = (await request(`${api}/jobs?${query}`)).body as {
        jobs: { jobId: string }[];
        nextCursor: string;
      };
      return { ids: jobs.map((job) => job.jobId), nextCursor };
    };
    const firstPage = await idsOfApi('limit=5');
    const secondPage = await idsOfApi(`limit=5&cursor=${firstPage.nextCursor}`);

    const { page: tab } = page;
    /** the listing shows exactly these jobs, in this order (once it has loaded them) */
    const expectJobsShown = async (expected: string[], what: string) => {
      const shown = async () => (await tab.locator('.row-title').allInnerTexts()).map((id) => id.trim());
      await waitFor(async () => (await shown()).join() === expected.join(), 30_000, what).catch(() => undefined);
      assert.deepEqual(await shown(), expected, what);
    };
    await signIn(page, stack().apiKey);
    await tab.getByRole('link', { name: 'Jobs', exact: true }).click();
    await tab.getByLabel('Jobs per page').selectOption('5');
    await expectJobsShown(firstPage.ids, 'the newest five');
    await page.screenshot('jobs');
    await tab.getByRole('button', { name: 'Older →' }).click();
    await expectJobsShown(secondPage.ids, 'the next five');
    await tab.getByRole('button', { name: '← Newer' }).click();
    await expectJobsShown(firstPage.ids, 'the newest five again');

    await tab.getByLabel('Status').selectOption('cancelled');
    await expectJobsShown((await idsOfApi('status=cancelled&limit=5')).ids, 'the cancelled jobs');
    assert.ok((await tab.locator('.row-title').allInnerTexts()).some((id) => id.trim() === slow.body.jobId));
    await tab.getByLabel('Status').selectOption('failed');
    await tab.getByText('No jobs that are failed yet.').waitFor();
  });

  it('fits a 360 px wide phone: every page, nothing scrolls sideways, every control labelled', async () => {
    await page.close();
    page = await ConsolePage.open(browser, origin, { width: 360, height: 780 });
    const toolId = await makeMolecularWeightTool(stack());
    const jobId = (await request(`${stack().apiUrl}/tools/${toolId}`)).body.jobId as string;
    const { page: tab } = page;
    await signIn(page, stack().apiKey);
    const visits: [name: string, path: string, heading: RegExp | string, shows: string][] = [
      ['submit', '/#/', 'New job', 'form'],
      ['jobs', '/#/jobs', 'Jobs', '.row'],
      ['job', `/#/jobs/${jobId}`, /^Job job_/, '.tool-row'],
      ['registry', '/#/tools', 'Registry', '.row'],
      ['tool', `/#/tools/${toolId}`, /calculate_molecular_weight/, '.run-form'],
    ];
    for (const [name, path, heading, shows] of visits) {
      await tab.goto(path);
      await tab.getByRole('heading', { level: 1, name: heading }).waitFor();
      await tab.locator(shows).first().waitFor();
      await waitFor(async () => (await tab.locator('.loading').count()) === 0, 30_000, `${name} to load`);
      assert.equal(await horizontalOverflow(tab), 0, `${name} fits 360 px`);
      assert.deepEqual(await unnamedControls(tab), [], `${name}: every control has a name`);
      await page.screenshot(`phone-${name}`);
    }
  });
});
