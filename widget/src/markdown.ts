// Bot answers are markdown: rendered by marked, then sanitized by DOMPurify before they touch the DOM.
// Raw HTML in an answer is shown as the text it is, never parsed; DOMPurify is the second wall.
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

// (An html token is element content, never an attribute value: & and < are all there is to escape.)
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: { html: ({ text }) => escapeHtml(text) },
});

// Links open in a new tab and give the opened page no handle on this one.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

const PURIFY = {
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'svg', 'math'],
  FORBID_ATTR: ['style', 'id', 'class'],
  ALLOW_DATA_ATTR: false,
};

/** Safe HTML for `text`: whatever the bot sends, nothing in it can run. */
export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(marked.parse(text) as string, PURIFY);
}
