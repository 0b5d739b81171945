// Helpers for driving the widget: a host page served on the gateway's origin (by playwright's
// router, so no route of the gateway is needed), and locators into the widget's shadow root
// (playwright's CSS and role locators pierce open shadow roots).
import type { BrowserContext, Locator, Page } from 'playwright-core';

/** Serves `body` as an HTML page at `<gateway>/test/<name>` in this context. */
export async function hostPage(context: BrowserContext, gatewayUrl: string, name: string, body: string) {
  const url = `${gatewayUrl}/test/${name}`;
  await context.route(url, (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html><body>${body}</body></html>`,
    }),
  );
  return url;
}

/** The one-tag embedding, with extra data-* attributes. */
export const scriptTag = (attrs = '') =>
  `<script src="/widget.js" data-app="default" ${attrs} async></script>`;

export const widget = (page: Page) => ({
  launcher: page.locator('coze-chat .launcher'),
  panel: page.getByRole('dialog'),
  box: page.getByRole('textbox', { name: 'Message' }),
  log: page.getByRole('log'),
  answers: page.locator('coze-chat .msg.bot .bubble'),
  questions: page.locator('coze-chat .msg.user .bubble'),
  chips: page.locator('coze-chat .chip'),
  badge: page.locator('coze-chat .badge'),
});

/** Types `text` into the widget and presses Enter. */
export async function say(page: Page, text: string): Promise<void> {
  const box = widget(page).box;
  await box.fill(text);
  await box.press('Enter');
}

/** What the last of `l` shows, as a reader sees it (line breaks kept, outer white space trimmed). */
// biome-ignore lint/performance/useDomNodeTextContent: a reader's view, with <br> as a line break
export const lastText = async (l: Locator) => (await l.last().innerText()).trim();

export const texts = async (l: Locator) => (await l.allInnerTexts()).map((s) => s.trim());
