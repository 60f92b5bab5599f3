import { HuibanAssistant, setDefaultEndpoint } from './element.ts';

/**
 * The loader: `<script src="https://SERVICE/widget.js" data-mode=… data-…>` defines <huiban-assistant> and adds
 * one, carrying the script's data-* attributes. The endpoint defaults to the origin the script came from.
 */
const script = document.currentScript as HTMLScriptElement | null;
if (script?.src) setDefaultEndpoint(new URL(script.src).origin);

if (!customElements.get('huiban-assistant')) customElements.define('huiban-assistant', HuibanAssistant);

if (script && script.dataset.mode !== undefined && script.dataset.auto !== 'false') {
  const add = () => {
    const el = document.createElement('huiban-assistant');
    for (const [k, v] of Object.entries(script.dataset)) if (v !== undefined) el.dataset[k] = v;
    // The hall docks into the host page's slot when it has one (beside its video area), else on the right.
    const dock = script.dataset.mode === 'hall' ? document.querySelector('[data-huiban-dock]') : null;
    (dock ?? document.body).append(el);
  };
  if (document.body) add();
  else document.addEventListener('DOMContentLoaded', add, { once: true });
}
