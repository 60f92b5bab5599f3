/**
 * The widget's styles, inside its shadow root (the host page's CSS cannot break it, and it cannot leak out).
 * System fonts only: the widget loads nothing but the service's own endpoints. Colours meet WCAG AA
 * (text ≥ 4.5:1); focus is a thick outline with a yellow halo, visible on any background.
 */
export const CSS = `
:host{all:initial;display:block;font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei","Source Han Sans SC",system-ui,sans-serif;font-size:16px;line-height:1.6;color:var(--hb-fg);
--hb-accent:var(--huiban-accent,#1849a9);--hb-accent-fg:#fff;--hb-bg:#fff;--hb-fg:#1a1a1a;--hb-muted:#4a4a4a;--hb-line:#c9ced6;--hb-soft:#eef3fb;--hb-user:#e7eefc;--hb-warn:#8a4b00;--hb-ok:#1b6b2f;--hb-bad:#a4161a;--hb-focus:#ffdd00}
:host([data-theme="dark"]){--hb-accent:var(--huiban-accent,#8fb4ff);--hb-accent-fg:#0b1220;--hb-bg:#14181f;--hb-fg:#f1f3f5;--hb-muted:#c3c8d0;--hb-line:#4a5260;--hb-soft:#1f2630;--hb-user:#233047;--hb-warn:#ffc46b;--hb-ok:#7ddc92;--hb-bad:#ff9a9e}
:host([data-theme="high-contrast"]){--hb-accent:#000;--hb-accent-fg:#fff;--hb-bg:#fff;--hb-fg:#000;--hb-muted:#000;--hb-line:#000;--hb-soft:#fff;--hb-user:#fff;--hb-warn:#000;--hb-ok:#000;--hb-bad:#000}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.vh{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button,input,textarea,select{font:inherit;color:inherit}
button{cursor:pointer;min-height:36px;padding:.35em .8em;border-radius:6px;border:1px solid var(--hb-accent);background:var(--hb-bg);color:var(--hb-accent)}
button.primary{background:var(--hb-accent);color:var(--hb-accent-fg)}
button:disabled{opacity:.6;cursor:not-allowed}
a{color:var(--hb-accent)}
:focus-visible{outline:3px solid var(--hb-fg);outline-offset:2px;box-shadow:0 0 0 6px var(--hb-focus)}
.root{color:var(--hb-fg)}
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;min-height:52px;padding:0 20px;border-radius:26px;background:var(--hb-accent);color:var(--hb-accent-fg);font-size:17px;font-weight:600;box-shadow:0 4px 16px rgba(0,0,0,.25)}
.panel{display:flex;flex-direction:column;background:var(--hb-bg);color:var(--hb-fg);border:1px solid var(--hb-line);overflow:hidden}
.mode-portal .panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:min(420px,calc(100vw - 24px));height:min(640px,calc(100vh - 110px));border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.3)}
.root.mode-hall{height:100%}
.mode-hall .panel{height:100%;min-height:320px;border-radius:0}
.mode-kiosk .panel{position:fixed;inset:0;z-index:2147483000;font-size:22px;border:0}
header{display:flex;align-items:center;gap:8px;flex-wrap:wrap;padding:10px 14px;background:var(--hb-accent);color:var(--hb-accent-fg)}
header h2{font-size:1.05em;margin:0;flex:1 1 auto}
header button{border-color:var(--hb-accent-fg);background:transparent;color:var(--hb-accent-fg)}
header button[aria-pressed="true"]{background:var(--hb-accent-fg);color:var(--hb-accent);font-weight:600}
.chat-view{display:flex;flex-direction:column;flex:1 1 auto;min-height:0}
.body{flex:1 1 auto;min-height:0;overflow:auto;padding:12px 14px}
details.sources-box summary{cursor:pointer;color:var(--hb-accent);margin-top:6px}
.log{display:flex;flex-direction:column;gap:12px}
.msg{max-width:100%;min-width:0;padding:10px 12px;border-radius:10px;background:var(--hb-soft);border:1px solid var(--hb-line)}
.msg.user{align-self:flex-end;background:var(--hb-user);max-width:88%}
.msg.note{background:transparent;border-style:dashed}
.msg .who{font-size:.8em;color:var(--hb-muted);font-weight:600;margin:0 0 2px}
.msg .text{white-space:pre-wrap;word-break:break-word;margin:0}
.msg.refused .text{color:var(--hb-fg)}
.msg .flag{display:inline-block;font-size:.8em;color:var(--hb-warn);font-weight:600}
.msg.error{border-color:var(--hb-bad)}
.sources{list-style:none;margin:8px 0 0;padding:0;display:grid;grid-template-columns:minmax(0,1fr);gap:6px}
.sources a{display:block;padding:6px 8px;border:1px solid var(--hb-line);border-radius:8px;background:var(--hb-bg);text-decoration:none;color:var(--hb-fg)}
.sources a:hover{border-color:var(--hb-accent)}
.sources .n{font-weight:700;color:var(--hb-accent);margin-right:.3em}
.sources .quote{display:block;color:var(--hb-muted);font-size:.85em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.choices p{width:100%;margin:0;font-size:.9em;color:var(--hb-muted)}
.feedback{display:flex;gap:6px;margin-top:8px;align-items:center}
.feedback button[aria-pressed="true"]{background:var(--hb-accent);color:var(--hb-accent-fg)}
.composer{display:flex;gap:8px;padding:10px 14px;border-top:1px solid var(--hb-line);align-items:flex-end}
.composer textarea{flex:1 1 auto;min-height:44px;max-height:140px;resize:vertical;padding:8px;border:1px solid var(--hb-muted);border-radius:8px;background:var(--hb-bg)}
.hint,.disclaimer{font-size:.8em;color:var(--hb-muted);margin:0;padding:0 14px 8px}
.topics{display:grid;grid-template-columns:repeat(auto-fill,minmax(12em,1fr));gap:10px;margin:0 0 14px;padding:0;list-style:none}
.topics button{width:100%}
.pc h3,.pc h4{margin:.6em 0 .3em;font-size:1.05em}
.pc input[type=search]{width:100%;padding:8px;border:1px solid var(--hb-muted);border-radius:8px;background:var(--hb-bg)}
.pc ul.results,.pc ul.files{list-style:none;padding:0;margin:6px 0;display:grid;gap:6px}
.pc ul.results button{width:100%;text-align:left}
.pc ol.materials,.pc ol.report{padding:0;margin:6px 0;list-style:none;display:grid;gap:8px}
.pc li.item{border:1px solid var(--hb-line);border-radius:8px;padding:8px 10px;background:var(--hb-bg)}
.pc .kind,.pc .status{display:inline-block;font-weight:700;margin-right:.4em}
.pc .status.provided,.pc .status.exempt{color:var(--hb-ok)}
.pc .status.missing,.pc .status.problem{color:var(--hb-bad)}
.pc .status.conditional,.pc .status.optional{color:var(--hb-warn)}
.pc .req{display:block;color:var(--hb-muted);font-size:.9em}
.pc label.situation{display:flex;gap:8px;align-items:flex-start;margin-top:4px;cursor:pointer}
.pc input[type=checkbox]{width:20px;height:20px;margin-top:.2em;flex:none}
.pc .filepick{display:inline-flex;align-items:center;margin-top:10px;font-weight:600;min-height:36px;padding:.35em .8em;border-radius:6px;border:1px solid var(--hb-accent);color:var(--hb-accent);cursor:pointer}
.pc input[type=file]:focus-visible+.filepick{outline:3px solid var(--hb-fg);outline-offset:2px;box-shadow:0 0 0 6px var(--hb-focus)}
.pc .actions{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
.pc .summary{font-weight:600}
.pc ul.problems{margin:4px 0 0;padding-left:1.2em}
.print-sheet{display:none}
.mode-kiosk button{min-height:56px;min-width:56px;padding:.3em 1em;font-size:1em}
.mode-kiosk .composer textarea{min-height:64px}
.mode-kiosk input[type=checkbox]{width:48px;height:48px;margin-top:0}
.mode-kiosk .pc a.req{display:flex;align-items:center;min-height:48px}
.mode-kiosk .pc input[type=search]{min-height:56px}
.mode-kiosk .pc .filepick{min-height:56px;padding:.3em 1em}
.mode-kiosk .sources a{min-height:56px;padding:10px 12px}
.mode-kiosk .body{padding:18px 28px}
@media print{
  .root>*:not(.print-sheet){display:none!important}
  .print-sheet{display:block!important;color:#000;background:#fff;font-size:12pt}
  .print-sheet li{break-inside:avoid}
  .print-sheet h1{font-size:16pt;margin:0 0 8pt}
  .print-sheet li.item{border:1px solid #000;border-radius:0;padding:4pt 6pt}
  .print-sheet li.item::before{content:'☐ ';font-size:14pt}
}
`;

/** Light-DOM style added only while printing: hides the host page so only the checklist prints. */
export const HOST_PRINT_CSS = `@media print{body>*:not(huiban-assistant){display:none!important}huiban-assistant{position:static!important;inset:auto!important;width:auto!important;height:auto!important}}`;
export const HALL_FLOATING_CSS = `.mode-hall.floating .panel{position:fixed;top:0;right:0;bottom:0;z-index:2147483000;width:min(420px,100vw);border-left:1px solid var(--hb-line)}`;
