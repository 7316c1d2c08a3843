// Recovery codes: shown once, right after they are made, to copy, download or write down. The
// server keeps only their hashes: nobody can show them again, hence the plain warning.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from './strings.js';

/** The text file a person keeps: what the codes are for, for whom, and the codes. */
function fileText(codes, username) {
  return [t('account.recovery.file_title', { username }), t('account.recovery.file_use'), '', ...codes, ''].join('\r\n');
}

export function RecoveryCodes({ codes, username, onClose, closeLabel }) {
  const [copied, setCopied] = useState(false);
  const [download, setDownload] = useState(null);
  const heading = useRef(null);

  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([fileText(codes, username)], { type: 'text/plain;charset=utf-8' }));
    setDownload(url);
    return () => URL.revokeObjectURL(url);
  }, [codes]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return html`
    <section class="acct-recovery" aria-labelledby="recovery-title" data-recovery>
      <h3 id="recovery-title" class="acct-subheading" tabindex="-1" ref=${heading}>${t('account.recovery.title')}</h3>
      <p class="notice">${t('account.recovery.once')}</p>
      <ol class="acct-codes">${codes.map((code) => html`<li key=${code}><code>${code}</code></li>`)}</ol>
      <div class="acct-row">
        <button type="button" class="button button--secondary" onClick=${copy}>${copied ? t('account.copied') : t('account.recovery.copy')}</button>
        ${download && html`
          <a class="button button--secondary" href=${download} download=${`sos-antt-recovery-${username}.txt`}>
            ${t('account.recovery.download')}
          </a>
        `}
      </div>
      <button type="button" class="button button--primary button--block" onClick=${onClose}>
        ${closeLabel ?? t('account.recovery.saved')}
      </button>
    </section>
  `;
}
