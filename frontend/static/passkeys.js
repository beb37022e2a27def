// Gatehouse's one script: passkeys, which need WebAuthn and so JavaScript. Without it, the forms marked
// data-passkey stay hidden and every page works as before. With it, they are shown, and submitting one first
// runs a WebAuthn ceremony: the options come from the form's data-options address (POST, with the form's
// token), the browser asks the authenticator, and its answer goes into the form's "credential" field.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function decode(text) {
    var s = text.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) {
      s += '=';
    }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function creationOptions(options) {
    var pk = options.publicKey;
    pk.challenge = decode(pk.challenge);
    pk.user.id = decode(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = decode(c.id); });
    return { publicKey: pk };
  }

  function requestOptions(options) {
    var pk = options.publicKey;
    pk.challenge = decode(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = decode(c.id); });
    return { publicKey: pk };
  }

  function registration(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: encode(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: encode(r.attestationObject),
        clientDataJSON: encode(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined
      },
      extensions: cred.getClientExtensionResults()
    };
  }

  function assertion(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: encode(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: encode(r.authenticatorData),
        clientDataJSON: encode(r.clientDataJSON),
        signature: encode(r.signature),
        userHandle: r.userHandle ? encode(r.userHandle) : null
      },
      extensions: cred.getClientExtensionResults()
    };
  }

  function say(form, text) {
    var box = form.querySelector('[data-passkey-status]');
    if (!box) {
      box = document.createElement('p');
      box.setAttribute('data-passkey-status', '');
      box.setAttribute('role', 'alert');
      box.className = 'error';
      form.insertBefore(box, form.firstChild);
    }
    box.textContent = text;
  }

  function problem(error) {
    if (error && error.name === 'NotAllowedError') {
      return 'The passkey request was cancelled or timed out. Try again.';
    }
    if (error && error.name === 'InvalidStateError') {
      return 'This passkey is already registered for this account.';
    }
    return (error && error.message) || 'The passkey could not be used. Try again.';
  }

  // POSTs `body` to `url` and reads the options it answers, or throws the refusal's message.
  function fetchOptions(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json' },
      body: body
    }).then(function (res) {
      return res.json().then(function (json) {
        if (!res.ok) {
          throw new Error(json.message || 'The passkey request was refused.');
        }
        return json;
      });
    });
  }

  function field(form, name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return input ? input.value : '';
  }

  function run(form) {
    var kind = form.getAttribute('data-passkey');
    var body = new URLSearchParams();
    body.set('csrf', field(form, 'csrf'));
    var proof = Promise.resolve(null);
    if (kind === 'create') {
      // Adding a passkey proves the account: the password, and a code or (asked for first) a passkey.
      body.set('password', field(form, 'password'));
      body.set('code', field(form, 'code'));
      var proofOptions = form.getAttribute('data-proof-options');
      if (proofOptions && field(form, 'code').trim() === '') {
        var token = new URLSearchParams();
        token.set('csrf', field(form, 'csrf'));
        proof = fetchOptions(proofOptions, token).then(function (options) {
          return navigator.credentials.get(requestOptions(options)).then(assertion);
        });
      }
    }
    return proof.then(function (answer) {
      if (answer) {
        body.set('proof', JSON.stringify(answer));
      }
      return fetchOptions(form.getAttribute('data-options'), body);
    }).then(function (options) {
      if (kind === 'create') {
        return navigator.credentials.create(creationOptions(options)).then(registration);
      }
      return navigator.credentials.get(requestOptions(options)).then(assertion);
    }).then(function (answer) {
      form.querySelector('input[name="credential"]').value = JSON.stringify(answer);
      form.setAttribute('data-passkey-done', '');
      form.submit();
    });
  }

  document.querySelectorAll('[data-passkey-offer]').forEach(function (el) {
    el.hidden = false;
  });
  document.querySelectorAll('form[data-passkey]').forEach(function (form) {
    form.hidden = false;
    form.addEventListener('submit', function (event) {
      if (form.hasAttribute('data-passkey-done')) {
        return;
      }
      // A proof may be a code instead: a form whose code field is filled in goes as it is.
      var code = form.querySelector('input[name="code"]');
      if (form.getAttribute('data-passkey') === 'proof' && code && code.value.trim() !== '') {
        return;
      }
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      if (button) {
        button.disabled = true;
      }
      run(form).catch(function (error) {
        say(form, problem(error));
        if (button) {
          button.disabled = false;
        }
      });
    });
  });
})();
