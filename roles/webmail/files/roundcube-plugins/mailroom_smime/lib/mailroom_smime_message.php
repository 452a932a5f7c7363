<?php

/**
 * A message whose content was replaced by its S/MIME form (multipart/signed or
 * application/pkcs7-mime), as Roundcube's sending and saving use a Mail_mime: the original's
 * headers and build parameters, with a body and content headers of our own. Needs PEAR's
 * Mail_mime (Roundcube's, or Debian's php-mail-mime in the tests).
 *
 * @license GNU GPLv3+
 */
class mailroom_smime_message extends Mail_mime
{
    private $content_headers;
    private $content;

    /**
     * The entity to sign or encrypt: the message's content headers and body, CRLF-ended. Text
     * parts are made quoted-printable first: 8-bit text may be re-encoded by a relay on its way,
     * which breaks the signature (RFC 8551 3.1.2).
     *
     * @throws RuntimeException when Mail_mime cannot build the message
     */
    public static function inner_entity(Mail_mime $message)
    {
        $message->setParam('text_encoding', 'quoted-printable');
        $message->setParam('html_encoding', 'quoted-printable');
        // The body first: building it chooses the boundary the headers then name.
        $body = $message->get();
        if (self::isError($body)) {
            throw new RuntimeException('the message could not be built: ' . $body->getMessage());
        }
        $headers = $message->headers();
        $content = [];
        foreach (['Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition'] as $name) {
            if (!empty($headers[$name])) {
                $content[$name] = $headers[$name];
            }
        }

        return mailroom_smime_mime::entity($content, $body);
    }

    public function __construct(Mail_mime $original, array $content_headers, $content)
    {
        parent::__construct();
        foreach (array_keys($this->build_params) as $name) {
            $this->build_params[$name] = $original->getParam($name);
        }
        // A content type set on the original (setContentType) would win over ours in headers().
        $this->build_params['ctype'] = null;
        $this->build_params['eol'] = "\r\n";
        $this->headers = $original->headers();
        $this->content_headers = $content_headers;
        $this->content = $content;
    }

    public function isMultipart()
    {
        return stripos($this->content_headers['Content-Type'], 'multipart/') === 0;
    }

    /**
     * The body; with $filename (a path or an open file), appended there instead (with the
     * content headers first unless $skip_head), as Mail_mime::get() does.
     */
    public function get($params = null, $filename = null, $skip_head = false)
    {
        if ($filename === null) {
            return $this->content;
        }
        $data = '';
        if (!$skip_head) {
            foreach ($this->contentHeaders() as $name => $value) {
                $data .= $name . ': ' . $value . "\r\n";
            }
            $data .= "\r\n";
        }
        $data .= $this->content;
        $written = is_resource($filename) ? fwrite($filename, $data) : file_put_contents($filename, $data, FILE_APPEND);
        if ($written !== strlen($data)) {
            return self::raiseError('Error writing the message to a file');
        }

        return null;
    }

    protected function contentHeaders()
    {
        return $this->content_headers;
    }
}
