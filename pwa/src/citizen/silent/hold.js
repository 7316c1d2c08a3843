// Issue 29: the silent report, for whoever cannot speak or be seen using a phone. One deliberate
// gesture that a pocket does not make: press and hold for HOLD_S seconds, the countdown on the
// button, released early it is cancelled and nothing is sent. Then a crime report with the place
// and `silent: true` is saved and sent like every report (offline too: the queue), and the app
// turns into a dim plain screen (quiet-screen.js). No sound and no vibration anywhere on the way.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from './strings.js';
import { loadServices } from '../later.js';
import { go } from '../router.js';

export const HOLD_S = 3;

/** `location`: the report screen's useLocation(), so the place found already is sent. */
export function SilentHold({ location }) {
  const [left, setLeft] = useState(null); // seconds left while held, null when not
  const [failed, setFailed] = useState(false);
  const timer = useRef(null);

  const cancel = () => {
    clearInterval(timer.current);
    timer.current = null;
    setLeft(null);
  };
  useEffect(() => cancel, []);

  async function send() {
    cancel();
    try {
      const services = await loadServices();
      const { position, state } = location;
      const id = await services.reports.create({
        category: 'crime',
        description: '',
        silent: true,
        location: position && ['found', 'placed'].includes(state) ? position : null,
      });
      go(`/quiet/${id}`);
    } catch (error) {
      console.error(error);
      setFailed(true);
    }
  }

  function start(event) {
    if (timer.current) return;
    event.preventDefault(); // no text selection or context menu while held
    setFailed(false);
    const began = Date.now();
    setLeft(HOLD_S);
    timer.current = setInterval(() => {
      const rest = HOLD_S - (Date.now() - began) / 1000;
      if (rest <= 0) send();
      else setLeft(Math.ceil(rest));
    }, 100);
  }

  const key = (event) => event.key === ' ' || event.key === 'Enter';
  const holding = left !== null;
  return html`
    <section class="silent" aria-labelledby="silent-heading">
      <h2 class="silent__heading" id="silent-heading">${t('citizen.silent.heading')}</h2>
      <button
        type="button"
        class=${holding ? 'silent__hold silent__hold--on' : 'silent__hold'}
        data-silent-hold
        aria-describedby="silent-hint"
        onPointerDown=${start}
        onPointerUp=${cancel}
        onPointerLeave=${cancel}
        onPointerCancel=${cancel}
        onContextMenu=${(e) => e.preventDefault()}
        onKeyDown=${(e) => key(e) && !e.repeat && start(e)}
        onKeyUp=${(e) => key(e) && cancel()}
        onBlur=${cancel}
      >
        ${holding ? t('citizen.silent.countdown', { n: left }) : t('citizen.silent.hold', { n: HOLD_S })}
      </button>
      <p class="field__hint" id="silent-hint">
        ${holding ? t('citizen.silent.release') : t('citizen.silent.hint')}
      </p>
      ${failed && html`<p class="form-error" role="alert">${t('citizen.later.send_failed')}</p>`}
    </section>
  `;
}
