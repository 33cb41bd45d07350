/* Copy and share buttons of refsync's hosted pages. */
(() => {
  const flash = (button, text) => {
    const old = button.textContent;
    button.textContent = text;
    setTimeout(() => {
      button.textContent = old;
    }, 1800);
  };
  const fallback = (input) => {
    input.select();
    document.execCommand('copy');
  };
  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-copy]');
    if (button) {
      const input = document.getElementById(button.getAttribute('data-copy'));
      const done = () => flash(button, 'Copied');
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, () => {
          fallback(input);
          done();
        });
      } else {
        fallback(input);
        done();
      }
      return;
    }
    const share = event.target.closest('[data-share]');
    if (share && navigator.share) {
      event.preventDefault();
      navigator.share({ title: document.title, url: share.getAttribute('data-share') }).catch(() => {});
    }
  });
})();
