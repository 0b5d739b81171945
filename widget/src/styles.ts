// The widget's stylesheet, scoped by its shadow root. `.root` resets whatever the host page's
// inherited styles carry in. A host may set --coze-chat-brand, --coze-chat-offset-x,
// --coze-chat-offset-y, --coze-chat-width, --coze-chat-height and --coze-chat-z. `.dark` is set
// by the element (theme attribute, else prefers-color-scheme).

export const CSS = `:host{all:initial!important;display:contents!important}
.root{all:initial;--bg:#fff;--f:#1f2330;--m:#5b6270;--s:#f1f3f7;--l:#dfe2e8;--d:#b42318;--w:#fff4e5;--wf:#7a4100;
--sh:0 8px 32px #0f172a30;--b:var(--coze-chat-brand,#4f46e5);--a:var(--b);
--x:var(--coze-chat-offset-x,20px);--y:var(--coze-chat-offset-y,20px);--z:var(--coze-chat-z,2147483000);
font:14px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;color:var(--f)}
.dark{--bg:#1b1e26;--f:#e8eaf0;--m:#a3aab7;--s:#272b35;--l:#363c48;--d:#ff8a80;--w:#3d2f12;--wf:#ffd89a;
--sh:0 8px 32px #0009;--a:color-mix(in srgb,var(--b) 45%,#fff)}
*{box-sizing:border-box}
[hidden]{display:none!important}
button{all:unset;cursor:pointer}
:focus-visible{outline:2px solid var(--a);outline-offset:2px}
.launcher,.panel{position:fixed;right:var(--x);z-index:var(--z);box-shadow:var(--sh)}
.launcher{bottom:var(--y);width:56px;height:56px;border-radius:50%;background:var(--b);color:#fff;display:grid;place-items:center}
.launcher svg{width:26px}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;padding:0 6px;border-radius:10px;background:#d92d20;
color:#fff;font:600 12px/20px inherit;text-align:center;border:2px solid var(--bg)}
.panel{bottom:calc(var(--y) + 68px);width:var(--coze-chat-width,380px);height:var(--coze-chat-height,600px);
max-height:calc(100vh - var(--y) - 88px);max-width:calc(100vw - 2*var(--x));display:flex;flex-direction:column;
background:var(--bg);border:1px solid var(--l);border-radius:16px;overflow:hidden}
.left .launcher,.left .panel{right:auto;left:var(--x)}
header{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--b);color:#fff}
.avatar{flex:none;width:34px;height:34px;border-radius:50%;background:#fff3;display:grid;place-items:center;font-weight:600;overflow:hidden}
.avatar img{width:100%;height:100%;object-fit:cover}
h2{flex:1;margin:0;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.icon{width:34px;height:34px;border-radius:8px;display:grid;place-items:center}
svg{height:auto;width:20px}
.banner{padding:8px 16px;background:var(--w);color:var(--wf);font-size:13px}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:12px}
.msg{display:flex;flex-direction:column;align-items:flex-start;max-width:85%;gap:4px}
.user{align-self:flex-end;align-items:flex-end}
.log:empty:before{content:attr(data-hi);color:var(--m);margin:auto;text-align:center;max-width:280px}
.bubble,.typing{padding:8px 12px;border-radius:14px 14px 14px 4px;background:var(--s);overflow-wrap:anywhere;max-width:100%}
.plain{white-space:pre-wrap}
.user .bubble{background:var(--b);color:#fff;border-radius:14px 14px 4px;white-space:pre-wrap}
[data-state=queued] .bubble,[data-state=sending] .bubble{opacity:.7}
.bubble>*{margin:0 0 8px}.bubble>:last-child{margin:0}
ul,ol{padding-left:20px}
a,.retry{color:var(--a);text-decoration:underline}
code{font:13px monospace}
pre{overflow-x:auto;padding:8px;background:#8882;border-radius:8px}
img{max-width:100%}
.meta{font-size:12px;color:var(--m);display:flex;gap:8px;flex-wrap:wrap}
.error{color:var(--d)}
.retry{font-weight:600}
.typing{display:flex;gap:4px;padding:14px;align-items:center}.typing::before{content:attr(data-l);font-size:12px;color:var(--m)}
.typing i{width:6px;height:6px;border-radius:50%;background:var(--m);animation:dot 1.2s infinite}
.typing i:nth-child(3){animation-delay:.2s}.typing i:nth-child(4){animation-delay:.4s}
@keyframes dot{40%{opacity:.2}}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
.chips{display:flex;flex-wrap:wrap;gap:6px;padding:0 16px 10px}
.chip{padding:4px 12px;border:1px solid var(--a);border-radius:99px;color:var(--a);font-size:13px}
form{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid var(--l);margin:0}
textarea{all:unset;box-sizing:border-box;flex:1;height:40px;max-height:120px;padding:8px 12px;border:1px solid var(--l);border-radius:12px;
color:var(--f);white-space:pre-wrap;overflow-wrap:anywhere;overflow-y:auto;line-height:22px}
textarea::placeholder{color:var(--m)}
textarea:focus{border-color:var(--a);outline:0}
.send{width:40px;height:40px;border-radius:12px;background:var(--b);color:#fff;display:grid;place-items:center}
@media (max-width:520px){.panel{inset:0;width:auto;height:auto;max-width:none;max-height:none;border-radius:0;border:0}
.open .launcher{display:none}}`;
