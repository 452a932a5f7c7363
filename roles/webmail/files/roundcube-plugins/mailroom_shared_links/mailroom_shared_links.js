/**
 * Shared links (mailroom.server): asks before a link is deleted, and copies a link.
 * The page works without this file: the delete forms post as they are.
 *
 * @license GNU GPLv3+
 */
window.rcmail && rcmail.addEventListener('init', function () {
    var table = document.getElementById('mailroom-shared-links');
    if (!table) {
        return;
    }

    table.addEventListener('submit', function (event) {
        var button = event.target.querySelector('button.delete');
        var text = rcmail.get_label('mailroom_shared_links.confirmdelete')
            .replace('$name', button ? button.getAttribute('data-file-name') : '');
        if (!window.confirm(text)) {
            event.preventDefault();
            return;
        }
        rcmail.set_busy(true, 'loading');
    });

    table.addEventListener('click', function (event) {
        var button = event.target.closest('button.copy');
        if (!button) {
            return;
        }
        var url = button.getAttribute('data-url');
        var done = function () {
            rcmail.display_message(rcmail.get_label('mailroom_shared_links.copied'), 'confirmation');
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
            navigator.clipboard.writeText(url).then(done, function () {
                window.prompt('', url);
            });
        }
        else {
            // Older browsers: the link selected in a prompt, to be copied by hand.
            window.prompt('', url);
        }
    });
});
