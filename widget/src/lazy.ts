// The markdown renderer lives in a chunk of its own (widget/markdown-<hash>.js, beside widget.js
// on the gateway): visitors who never open the chat never download it. Until it arrives, answers
// are shown as plain text; if it cannot be loaded, they stay plain text.

/** The chunk's file name, set by scripts/build.mjs. */
declare const MARKDOWN_CHUNK: string;

export type Render = (markdown: string) => string;

/** Where widget.js came from (set by the element before anything is rendered). */
export const chunks = { base: '' };

let render: Render | undefined;
let loading: Promise<Render> | undefined;
let failed = false;

/** The renderer, once loaded. */
export const markdownRenderer = (): Render | undefined => render;

/** Loads the chunk once. A failed load is tried again only when `retry` is set (the panel opens). */
export function loadMarkdown(retry = false): Promise<Render> {
  if (failed && retry) loading = undefined;
  loading ??= new Promise<Render>((ok, fail) => {
    failed = false;
    const s = document.createElement('script');
    const no = () => {
      failed = true;
      fail(new Error('the markdown chunk did not load'));
    };
    s.src = `${chunks.base}/widget/${MARKDOWN_CHUNK}`;
    s.async = true;
    s.onerror = no;
    s.onload = () => {
      render = (s as HTMLScriptElement & { render?: Render }).render;
      if (render) ok(render);
      else no();
    };
    document.head.append(s);
  });
  return loading;
}
