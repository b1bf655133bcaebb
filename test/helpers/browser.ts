import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { provisionChromium } from '../../infra/chromium';
import { isExecutableFile } from '../../infra/executables';
import { readProvisionManifest } from '../../infra/provision';

/** Pictures of the pages the browser tests visit, for a person to look at (git-ignored). */
export const SCREENSHOT_DIR = path.join(__dirname, '..', '..', 'test-output', 'screenshots');

/** The Chromium that provisioning recorded (npm test's pretest), else found or installed now. */
async function chromiumPath(): Promise<string> {
  const recorded = readProvisionManifest()?.chromiumPath;
  if (!process.env.CHROMIUM_PATH && recorded && isExecutableFile(recorded)) return recorded;
  return provisionChromium(() => undefined);
}

/** playwright-core drives the system's Chromium: its own browser downloads are never used. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath() });
}

const NETWORK_ERROR_LOG = /^Failed to load resource: the server responded with a status of (\d{3})/;

/**
 * One browser context (its own localStorage) with one page, watched for everything a person
 * would call broken: an uncaught exception, a console error, a dialog (an alert() means injected
 * markup ran), a request to another origin (a font or CDN), an answer of 5xx. Chromium also logs
 * every HTTP error answer to the console; those are allowed only where a test expects that status
 * (a refused key, a rejected form) and says so with `expectHttpErrors`.
 */
export class ConsolePage {
  readonly problems: string[] = [];
  private readonly expectedStatuses = new Set<number>();

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly origin: string,
  ) {
    page.on('pageerror', (error) => this.problems.push(`uncaught in the page: ${error.stack ?? error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const status = NETWORK_ERROR_LOG.exec(message.text())?.[1];
      const url = message.location().url;
      if (status && this.expectedStatuses.has(Number(status)) && url.startsWith(`${origin}/api/v1/`)) return;
      this.problems.push(`console error: ${message.text()} (${url})`);
    });
    page.on('dialog', (dialog) => {
      this.problems.push(`a ${dialog.type()} dialog opened: ${dialog.message()}`);
      dialog.dismiss().catch(() => undefined);
    });
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) this.problems.push(`request to ${url}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 500) this.problems.push(`${response.status()} from ${response.url()}`);
    });
  }

  static async open(browser: Browser, origin: string, viewport = { width: 1280, height: 900 }): Promise<ConsolePage> {
    const context = await browser.newContext({ viewport, baseURL: origin });
    // generous: the machine may be busy, and every wait is on a condition, never a fixed time
    context.setDefaultTimeout(30_000);
    return new ConsolePage(context, await context.newPage(), origin);
  }

  /** These HTTP error answers from the API are what the test provokes; the page must show them. */
  expectHttpErrors(...statuses: number[]): void {
    for (const status of statuses) this.expectedStatuses.add(status);
  }

  /** The whole page, or with `fullPage: false` what the window shows. */
  async screenshot(name: string, { fullPage = true } = {}): Promise<void> {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await this.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage });
  }

  assertNothingBroke(): void {
    assert.deepEqual(this.problems, [], 'the page broke');
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

// The snippets below run in the page, not in Node (whose type checking has no DOM): hence strings.

/**
 * Form controls without a label, and buttons or links without a name: what a screen reader
 * could not announce.
 */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const unnamed = [];
    for (const control of document.querySelectorAll('input, select, textarea')) {
      if (control.labels.length === 0 && !control.getAttribute('aria-label')) unnamed.push(control.outerHTML);
    }
    for (const element of document.querySelectorAll('button, a[href]')) {
      if (!element.textContent.trim() && !element.getAttribute('aria-label')) unnamed.push(element.outerHTML);
    }
    return unnamed;
  })()`);
}

/** How much wider than the window the page is (0: it fits, nothing scrolls sideways). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}
