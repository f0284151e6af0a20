//! Self-contained HTML pages: inline CSS, plots embedded as inline SVG, no scripts, no network.

use std::fmt::Write as _;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}tr.failed td{background:#fdecea}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.9em;color:#555}\
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}.muted{color:#666}";

/// A whole page.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title)
    )
}

/// A table; cells that parse as numbers are right-aligned. Rows whose first cell starts with `!`
/// are marked failed (the `!` is dropped).
pub fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table>\n<tr>");
    for h in headers {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr>\n");
    for r in rows {
        let failed = r.first().is_some_and(|c| c.starts_with('!'));
        s.push_str(if failed {
            "<tr class=\"failed\">"
        } else {
            "<tr>"
        });
        for (i, c) in r.iter().enumerate() {
            let c = if i == 0 && failed {
                &c[1..]
            } else {
                c.as_str()
            };
            if c.parse::<f64>().is_ok() {
                let _ = write!(s, "<td class=\"n\">{}</td>", escape(c));
            } else {
                let _ = write!(s, "<td>{}</td>", escape(c));
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// A plot: the SVG inline, with links to the SVG and PNG files.
pub fn figure(svg: &str, caption: &str, file_stem: &str) -> String {
    // Drop the XML prolog, if any, so the SVG embeds as an element.
    let svg = svg.find("<svg").map_or(svg, |i| &svg[i..]);
    format!(
        "<figure>\n{svg}\n<figcaption>{} (<a href=\"{s}.svg\">SVG</a>, <a href=\"{s}.png\">PNG</a>)</figcaption>\n</figure>\n",
        escape(caption),
        s = escape(file_stem)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_numbers_align_right() {
        let t = table(&["a<b".into()], &[vec!["1.5".into()], vec!["!x&y".into()]]);
        assert!(t.contains("a&lt;b"));
        assert!(t.contains("<td class=\"n\">1.5</td>"));
        assert!(t.contains("<tr class=\"failed\"><td>x&amp;y</td>"));
    }
}
