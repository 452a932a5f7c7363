/**
 * External accounts (mailroom.server): asks before an account is removed, moves the port along
 * with the TLS choice, and tests a connection in the background so that the form (and a typed
 * password) stays as it is. The page works without this file: its forms post as they are.
 *
 * Texts from the server (its answer, errors) are only ever set as text, never as HTML.
 *
 * @license GNU GPLv3+
 */
window.rcmail && rcmail.addEventListener('init', function () {
    var page = document.getElementById('mailroom-external-pop3');
    if (!page) {
        return;
    }

    page.addEventListener('submit', function (event) {
        var form = event.target;
        if (form.classList.contains('remove-form')) {
            var button = form.querySelector('button.remove');
            var text = rcmail.get_label('mailroom_external_pop3.confirmremove')
                .replace('$name', button ? button.getAttribute('data-account-name') : '');
            if (!window.confirm(text)) {
                event.preventDefault();
                return;
            }
        }
        rcmail.set_busy(true, 'loading');
    });

    var form = document.getElementById('mailroom-external-pop3-form');
    if (!form) {
        return;
    }

    // A port that is the usual one of the previous TLS choice follows the new choice.
    var tls = form.querySelector('select[name="_tls"]');
    var port = form.querySelector('input[name="_port"]');
    if (tls && port) {
        var usual = function () {
            var option = tls.options[tls.selectedIndex];
            return option ? option.getAttribute('data-port') : '';
        };
        var before = usual();
        tls.addEventListener('change', function () {
            if (port.value === '' || port.value === before) {
                port.value = usual();
            }
            before = usual();
        });
    }

    var result = document.getElementById('mailroom-external-pop3-test-result');
    var show = function (ok, label, text) {
        result.className = 'test-result ' + (ok ? 'ok boxconfirmation' : 'failed boxerror');
        result.textContent = '';
        var strong = document.createElement('strong');
        strong.textContent = rcmail.get_label(label);
        var span = document.createElement('span');
        span.className = 'server-text';
        span.textContent = text;
        result.appendChild(strong);
        result.appendChild(document.createTextNode(' '));
        result.appendChild(span);
    };

    rcmail.addEventListener('plugin.mailroom_external_pop3_tested', function (answer) {
        show(answer && answer.ok === true, answer && answer.ok === true ? 'mailroom_external_pop3.testok'
            : 'mailroom_external_pop3.testfailed', answer && typeof answer.text === 'string' ? answer.text : '');
    });

    var test = form.querySelector('button.test');
    if (test && result) {
        test.addEventListener('click', function (event) {
            if (!form.reportValidity()) {
                return;
            }
            event.preventDefault();
            var data = {};
            Array.prototype.forEach.call(form.elements, function (field) {
                if (!field.name || field.name === '_token' || field.disabled) {
                    return;
                }
                if (field.type === 'checkbox') {
                    if (field.checked) {
                        data[field.name] = field.value;
                    }
                    return;
                }
                data[field.name] = field.value;
            });
            result.className = 'test-result';
            result.textContent = rcmail.get_label('mailroom_external_pop3.testing');
            rcmail.http_post('plugin.mailroom_external_pop3-test', data, rcmail.set_busy(true, 'loading'));
        });
    }
});
