package zenoss

import (
	"html"
	"regexp"
	"strings"
)

// Zenoss 5.0 and later store a log message as clean_html(message): plain
// "done" comes back as "<p>done</p>", "a & b" as "<p>a &amp; b</p>". The
// adapter therefore writes text as escaped HTML and reads messages back as
// text, so that what it wrote reads back unchanged on every version, and a
// marker in the text can be found again.

var (
	dropBlocks = []*regexp.Regexp{
		regexp.MustCompile(`(?is)<!--.*?-->`),
		regexp.MustCompile(`(?is)<script\b.*?</script\s*>`),
		regexp.MustCompile(`(?is)<style\b.*?</style\s*>`),
	}
	lineBreak = regexp.MustCompile(`(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6])\s*>`)
	// A tag starts with a letter (or / and a letter): "a < b" is text.
	anyTag = regexp.MustCompile(`</?[a-zA-Z][^<>]*>`)
)

// htmlToText turns a log message or detail value into plain text: line
// breaks for <br> and block ends, other tags dropped, entities decoded,
// each line trimmed.
func htmlToText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	for _, re := range dropBlocks {
		s = re.ReplaceAllString(s, "")
	}
	s = lineBreak.ReplaceAllString(s, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r\n", "<br>", "\n", "<br>")

// textToHTML writes text so that Zenoss's HTML cleaning keeps it and
// htmlToText gives it back.
func textToHTML(s string) string { return htmlEscaper.Replace(s) }
