// Gatehouse's form enhancements, for browsers with JavaScript; every form works the same without them.
// A "Show password" button after each password field: it shows what was typed, and hides it again; the
// field is hidden again before its form is sent (however it is sent) and when the page is left, so no browser
// keeps the password as ordinary text.
(function () {
  'use strict';

  function addToggle(field) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'reveal secondary';
    button.textContent = 'Show password';
    button.setAttribute('aria-pressed', 'false');
    if (field.id) {
      button.setAttribute('aria-controls', field.id);
    }
    button.addEventListener('click', function () {
      var shown = field.type === 'password';
      field.type = shown ? 'text' : 'password';
      button.textContent = shown ? 'Hide password' : 'Show password';
      button.setAttribute('aria-pressed', shown ? 'true' : 'false');
      field.focus();
    });
    // After the field's label, not inside it: the button's words must not become part of the field's name.
    var label = field.closest('label');
    (label || field).insertAdjacentElement('afterend', button);
    function hide() {
      field.type = 'password';
      button.textContent = 'Show password';
      button.setAttribute('aria-pressed', 'false');
    }
    if (field.form) {
      // 'formdata' also fires for a form sent by script (the passkey ceremony's form.submit()).
      field.form.addEventListener('submit', hide);
      field.form.addEventListener('formdata', hide);
    }
    // A page kept in the back/forward cache comes back with the password hidden.
    window.addEventListener('pagehide', hide);
  }

  function start() {
    var fields = document.querySelectorAll('input[type="password"]');
    for (var i = 0; i < fields.length; i++) {
      addToggle(fields[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
