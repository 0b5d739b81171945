// widget/markdown-<hash>.js: the lazy chunk with marked and DOMPurify (most of the widget's bytes),
// loaded by lazy.ts when the panel first opens. It hands its renderer to the script element that
// loaded it (no global name, nothing for the host page to collide with).
import { renderMarkdown } from './markdown.js';

const me = document.currentScript;
if (me) Object.assign(me, { render: renderMarkdown });
