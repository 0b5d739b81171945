import { describe, expect, it } from 'vitest';
import { gatewayAndChromium } from '../helpers/browser.js';
import { hostPage, lastText, say, scriptTag, widget } from './widget-page.js';

const f = gatewayAndChromium();

describe('the widget: what a bot sends cannot run, and the host page cannot restyle it', () => {
  it('renders markdown, shows raw HTML as text, and makes links inert or safe', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(await hostPage(context, f.gw.url, 'xss', scriptTag('data-open')));
    const w = widget(page);

    await say(page, '<img src=x onerror=alert(1)>');
    await expect.poll(() => lastText(w.answers)).toBe('You said: <img src=x onerror=alert(1)>');
    expect(await page.locator('coze-chat img').count()).toBe(0);

    await say(page, '[click me](javascript:alert(2)) <a href="javascript:alert(3)">or me</a>');
    await expect.poll(() => w.answers.count()).toBe(2);
    // The whole answer (it streams): the raw HTML link is shown as the text it is...
    await expect
      .poll(() => lastText(w.answers))
      .toBe('You said: click me <a href="javascript:alert(3)">or me</a>');
    // ...and the markdown one stays an anchor without its javascript: href.
    const hrefs = await page
      .locator('coze-chat .msg.bot a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual([null]);
    await page.locator('coze-chat .msg.bot').last().getByText('click me').click();

    await say(page, '#markdown');
    const link = page.locator('coze-chat .msg.bot a[href="https://www.coze.com"]');
    await expect.poll(() => link.count()).toBe(1);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toContain('noopener');
    expect(await page.locator('coze-chat .msg.bot strong').last().textContent()).toBe('bold text');
    expect(await page.locator('coze-chat .msg.bot li').count()).toBe(3);
    expect(dialogs).toBe(0);
    await context.close();
  });

  it('lives in an open shadow root: host styles do not leak in, its styles do not leak out', async () => {
    const context = await f.browser.newContext();
    const page = await context.newPage();
    const hostile = `<style>* { color: red !important; font-size: 40px } button { background: lime !important }</style>
      <h2 id="probe-h2">Host heading</h2><div class="panel bubble" id="probe">host text</div>`;
    await page.goto(await hostPage(context, f.gw.url, 'isolation', hostile + scriptTag('data-open')));
    const w = widget(page);
    await say(page, 'hello');
    await expect.poll(() => lastText(w.answers)).toBe('You said: hello');

    expect(await page.evaluate(() => document.querySelector('coze-chat')?.shadowRoot?.mode)).toBe('open');
    const inside = await w.answers.last().evaluate((el) => {
      const s = getComputedStyle(el);
      return { color: s.color, size: s.fontSize };
    });
    expect(inside.color).not.toBe('rgb(255, 0, 0)');
    expect(inside.size).toBe('14px');
    const launcherBg = await w.launcher.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(launcherBg).not.toBe('rgb(0, 255, 0)');
    const out = await page.locator('#probe').evaluate((el) => {
      const s = getComputedStyle(el);
      return { position: s.position, bg: s.backgroundColor, radius: s.borderTopLeftRadius };
    });
    expect(out).toEqual({ position: 'static', bg: 'rgba(0, 0, 0, 0)', radius: '0px' });
    expect(await page.locator('#probe-h2').evaluate((el) => getComputedStyle(el).fontSize)).toBe('40px');
    await context.close();
  });
});
