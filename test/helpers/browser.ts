import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type TestGateway } from './gateway.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium, headless, with no calls home (the machine has no network but loopback). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserFixture {
  readonly gw: TestGateway;
  readonly browser: Browser;
}

/**
 * A gateway (its settings as the environment would give them) and Debian's chromium for the tests
 * of one file: started before them, stopped after. `env` may be a function, for settings made in
 * setup (a config file written to a temporary folder).
 */
export function gatewayAndChromium(
  env: Record<string, string> | (() => Record<string, string>) = {},
): BrowserFixture {
  let gw: TestGateway | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    gw = await startTestGateway(typeof env === 'function' ? env() : env);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('the gateway and chromium start in beforeAll');
    return x;
  };
  return {
    get gw() {
      return started(gw);
    },
    get browser() {
      return started(browser);
    },
  };
}
