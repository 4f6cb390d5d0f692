// Passkeys (WebAuthn) for the second-factor pages: a form with data-passkey-create (registration) or
// data-passkey-get (confirming) holds the server's options as JSON. On submit the browser's
// authenticator is asked, its answer (PublicKeyCredential.toJSON()) goes into the form's
// "credential" field, and the form is posted as usual (CSRF token and all). The server checks it.
"use strict";
(function () {
  function wire(form, create) {
    const error = form.querySelector("[data-passkey-error]");
    form.addEventListener("submit", async function (event) {
      if (form.credential.value) return;  // the answer is in: post it
      event.preventDefault();
      error.hidden = true;
      try {
        const json = JSON.parse(create ? form.dataset.passkeyCreate : form.dataset.passkeyGet);
        const credential = create
          ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) })
          : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) });
        form.credential.value = JSON.stringify(credential.toJSON());
        form.submit();
      } catch (e) {
        error.textContent = "The passkey was not used: " + (e && e.message ? e.message : e);
        error.hidden = false;
      }
    });
  }
  document.querySelectorAll("form[data-passkey-create]").forEach(function (f) { wire(f, true); });
  document.querySelectorAll("form[data-passkey-get]").forEach(function (f) { wire(f, false); });
})();
