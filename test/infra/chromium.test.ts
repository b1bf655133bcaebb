import assert from 'node:assert/strict';
import { provisionChromium } from '../../infra/chromium';
import { provisionNeedsFromEnv } from '../../infra/provision';
import { SetupError } from '../../infra/setup-error';

/** Runs `body` with CHROMIUM_PATH set to `value`, restoring it after. */
async function withChromiumPath<T>(value: string, body: () => Promise<T>): Promise<T> {
  const before = process.env.CHROMIUM_PATH;
  process.env.CHROMIUM_PATH = value;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = before;
  }
}

describe('provisioning Chromium for the browser tests', () => {
  it('is asked for by npm test’s pretest (or TOOLSMITH_PROVISION_BROWSER=1), never by npm start', () => {
    assert.equal(provisionNeedsFromEnv({ npm_lifecycle_event: 'pretest' }).browser, true);
    assert.equal(provisionNeedsFromEnv({ TOOLSMITH_PROVISION_BROWSER: '1' }).browser, true);
    assert.equal(provisionNeedsFromEnv({ npm_lifecycle_event: 'start' }).browser, false);
    assert.equal(provisionNeedsFromEnv({}).browser, false);
  });

  it('finds the installed Chromium, and takes CHROMIUM_PATH only when it names one', async () => {
    const lines: string[] = [];
    const found = await provisionChromium((line) => lines.push(line));
    assert.match(lines.join('\n'), /Chromium: .+ \((on PATH|from CHROMIUM_PATH)\)/);
    assert.equal(await withChromiumPath(found, () => provisionChromium(() => undefined)), found);
    await assert.rejects(
      withChromiumPath('/bin/true', () => provisionChromium(() => undefined)),
      (error: unknown) =>
        error instanceof SetupError && /CHROMIUM_PATH=\/bin\/true is not a working Chromium/.test(error.message),
    );
  });
});
