//! One self-contained HTML page: headline numbers, charts drawn as inline SVG (share by origin,
//! by country, by category, top foreign vendors) and a searchable, sortable component table.
//!
//! No external scripts, styles, fonts or images: the page works offline and from a mail
//! attachment. Every string that comes from the report is HTML-escaped ([`escape`]), in text
//! and in attributes alike; the only script is the constant [`SCRIPT`], allowed by its hash in
//! a Content-Security-Policy that forbids everything else (so even a missed escape could not
//! run injected script). The table is plain rows in the page, not JSON fed to a script.

use super::{share, top_vendors};
use crate::model::{owner_country, Report};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// The page's only script: table search and column sort.
pub const SCRIPT: &str = r#"(function(){
var q=document.getElementById('q'),t=document.getElementById('components');
if(!q||!t){return;}
var b=t.tBodies[0],n=document.getElementById('shown');
function count(){var k=0;for(var i=0;i<b.rows.length;i++){if(!b.rows[i].hidden){k++;}}n.textContent=k;}
q.addEventListener('input',function(){var s=q.value.toLowerCase();
for(var i=0;i<b.rows.length;i++){var r=b.rows[i];r.hidden=s.length>0&&r.textContent.toLowerCase().indexOf(s)<0;}count();});
var th=t.tHead.rows[0].cells;
Array.prototype.forEach.call(th,function(h,i){h.title='Sort by '+h.textContent;h.addEventListener('click',function(){
var asc=h.getAttribute('aria-sort')!=='ascending';
Array.prototype.forEach.call(th,function(x){x.removeAttribute('aria-sort');});
h.setAttribute('aria-sort',asc?'ascending':'descending');
var num=h.getAttribute('data-type')==='num',rows=Array.prototype.slice.call(b.rows);
rows.sort(function(x,y){var a=x.cells[i].textContent,c=y.cells[i].textContent;
var d=num?(parseFloat(a)||0)-(parseFloat(c)||0):a.localeCompare(c);return asc?d:-d;});
rows.forEach(function(r){b.appendChild(r);});});});
count();})();"#;

const STYLE: &str = "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d2330;background:#fff}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}.meta{color:#5b6475;margin-bottom:16px}\
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0 20px}.card{border:1px solid #dfe3ea;border-radius:8px;padding:10px 14px;min-width:120px}\
.card b{display:block;font-size:22px}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:20px;margin-bottom:24px}\
.panel{border:1px solid #dfe3ea;border-radius:8px;padding:12px 14px}svg text{font:12px system-ui,sans-serif;fill:#1d2330}\
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e6e9ef;padding:4px 6px;text-align:left;vertical-align:top}td.loc{word-break:break-all;min-width:180px}\
th{cursor:pointer;background:#f4f6f9;position:sticky;top:0}th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}\
td.num{text-align:right}input#q{padding:6px 8px;width:320px;margin:8px 0;border:1px solid #c5cbd6;border-radius:6px}\
.o-foreign{color:#b42318}.o-domestic{color:#067647}.o-international{color:#175cd3}.o-unknown{color:#667085}";

/// Colours of origin classes (and of other series, in turn).
const COLOURS: &[(&str, &str)] = &[
    ("domestic", "#12b76a"),
    ("foreign", "#f04438"),
    ("international", "#2e90fa"),
    ("unknown", "#98a2b3"),
];
const PALETTE: &[&str] = &[
    "#6172f3", "#ee46bc", "#f79009", "#15b79e", "#875bf7", "#66c61c", "#ef6820", "#0ba5ec",
];

/// Escape text for HTML text and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in crate::text::sanitize(s).chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

pub(crate) fn colour(key: &str, i: usize) -> &'static str {
    COLOURS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, c)| *c)
        .unwrap_or(PALETTE[i % PALETTE.len()])
}

/// Horizontal bars, each stacked from (series, value) segments, scaled to the largest bar.
/// Horizontal bars, each labelled with its count, its denominator and the share.
fn bars(rows: &[(String, Vec<(String, usize)>)], total: usize) -> String {
    let of: Vec<(usize, &str)> = rows.iter().map(|_| (total, super::ALL)).collect();
    bars_of(rows, &of)
}

/// Bars whose rows each have their own denominator (`of[i]`: count and what it counts).
fn bars_of(rows: &[(String, Vec<(String, usize)>)], of: &[(usize, &str)]) -> String {
    if rows.is_empty() {
        return "<p>No data.</p>".into();
    }
    let max = rows
        .iter()
        .map(|(_, s)| s.iter().map(|(_, n)| n).sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (200.0, 290.0, 22.0);
    let h = rows.len() as f64 * row_h + 4.0;
    let mut series: Vec<&str> = Vec::new();
    let mut svg = format!(
        "<svg role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 {} {h}\">",
        label_w + bar_w + 260.0
    );
    for (i, (label, segs)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let short: String = if label.chars().count() > 26 {
            label.chars().take(25).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            escape(&short)
        );
        let mut x = label_w;
        let mut sum = 0;
        for (key, n) in segs {
            if !series.contains(&key.as_str()) {
                series.push(key);
            }
            let idx = series.iter().position(|s| s == key).unwrap_or(0);
            let w = *n as f64 / max as f64 * bar_w;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {n}</title></rect>",
                row_h - 6.0,
                colour(key, idx),
                escape(key)
            );
            x += w;
            sum += n;
        }
        let (total, what) = of.get(i).copied().unwrap_or((0, super::ALL));
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\">{sum} of {total} {what} ({})</text>",
            x + 6.0,
            y + 14.0,
            share(sum, total)
        );
    }
    svg.push_str("</svg>");
    if series.len() > 1
        || series
            .first()
            .is_some_and(|s| COLOURS.iter().any(|(k, _)| k == s))
    {
        svg.push_str("<div class=\"legend\">");
        for (i, s) in series.iter().enumerate() {
            let _ = write!(
                svg,
                "<span><i style=\"background:{}\"></i>{}</span>",
                colour(s, i),
                escape(s)
            );
        }
        svg.push_str("</div>");
    }
    svg
}

pub(crate) fn panel(out: &mut String, title: &str, body: &str) {
    let _ = write!(
        out,
        "<section class=\"panel\"><h2>{}</h2>{body}</section>",
        escape(title)
    );
}

/// base64 (standard alphabet, padded), for the script's CSP hash.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Render the page.
pub fn render(r: &Report) -> String {
    let s = &r.summary;
    let total = s.components;
    let target = super::target(r);
    let mut o = String::new();
    page_start(&mut o, &target);
    let _ = write!(
        o,
        "<h1>sovscan report: {}</h1><div class=\"meta\">scanned {} · home {} · rules {} · sovscan {}</div>",
        escape(&target),
        escape(&r.scan.started),
        escape(r.scan.home.as_deref().unwrap_or("not set")),
        escape(&r.tool.rules.version),
        escape(&r.tool.version)
    );
    o.push_str("<div class=\"cards\">");
    let _ = write!(o, "<div class=\"card\"><b>{total}</b>components</div>");
    for row in super::origin_rows(s) {
        let _ = write!(
            o,
            "<div class=\"card o-{0}\"><b>{1}</b>{0}: {2} of {3} {4}</div>",
            escape(&row.label),
            row.count,
            row.percent(),
            row.of,
            row.denominator
        );
    }
    let _ = write!(
        o,
        "<div class=\"card\"><b>{}</b>errors</div></div><div class=\"grid\">",
        r.errors.len()
    );
    if !s.by_origin.is_empty() {
        let shares = super::origin_rows(s);
        let rows: Vec<_> = shares
            .iter()
            .map(|r| (r.label.clone(), vec![(r.label.clone(), r.count)]))
            .collect();
        let of: Vec<_> = shares.iter().map(|r| (r.of, r.denominator)).collect();
        panel(&mut o, "Share by origin", &bars_of(&rows, &of));
    }
    let mut countries: Vec<_> = s.by_country.iter().collect();
    countries.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let rows: Vec<_> = countries
        .iter()
        .take(12)
        .map(|(k, n)| ((*k).clone(), vec![("components".to_owned(), **n)]))
        .collect();
    panel(
        &mut o,
        "By country of the ultimate owner",
        &bars(&rows, total),
    );
    let rows: Vec<_> = s
        .by_category
        .iter()
        .map(|(cat, m)| {
            (
                cat.clone(),
                m.iter().map(|(k, n)| (k.clone(), *n)).collect::<Vec<_>>(),
            )
        })
        .collect();
    panel(&mut o, "By category", &bars(&rows, total));
    let top = top_vendors(r, 10);
    let rows: Vec<_> = top
        .iter()
        .map(|v| {
            (
                format!("{} ({})", v.name, v.country),
                vec![("components".to_owned(), v.components)],
            )
        })
        .collect();
    let title = if r.scan.home.is_some() {
        "Top foreign vendors"
    } else {
        "Top vendors"
    };
    panel(&mut o, title, &bars(&rows, total));
    o.push_str("</div>");
    component_table(r, &mut o);
    if !r.errors.is_empty() {
        o.push_str("<h2>Errors (the scan went on)</h2><table><thead><tr><th>path</th><th>error</th></tr></thead><tbody>");
        for e in r.errors.iter().take(500) {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&e.path),
                escape(&e.error)
            );
        }
        o.push_str("</tbody></table>");
    }
    page_end(&mut o);
    o
}

/// The head of a page titled `sovscan: TITLE`, up to and including `<body>`: the style and a
/// Content-Security-Policy that allows only [`SCRIPT`].
pub(crate) fn page_start(o: &mut String, title: &str) {
    let csp_hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{csp_hash}'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>sovscan: {}</title><style>{STYLE}</style></head><body>",
        escape(title)
    );
}

/// The end of a page: the script (search and sort of the table `#components`), then
/// `</body></html>`.
pub(crate) fn page_end(o: &mut String) {
    let _ = writeln!(o, "<script>{SCRIPT}</script></body></html>");
}

fn component_table(r: &Report, o: &mut String) {
    let _ = write!(
        o,
        "<h2>Components (<span id=\"shown\">{}</span> shown)</h2><input id=\"q\" type=\"search\" placeholder=\"Filter components…\" aria-label=\"Filter components\">",
        r.components.len()
    );
    o.push_str(
        "<table id=\"components\"><thead><tr><th>component</th><th>version</th><th>kind</th><th>vendor</th>\
<th>country</th><th>ultimate owner</th><th>origin</th><th>category</th><th data-type=\"num\">confidence</th><th>root</th><th>location</th></tr></thead><tbody>",
    );
    for c in &r.components {
        let v = c.vendor.as_deref();
        let origin = c.origin.map(|o| o.as_str()).unwrap_or("");
        let _ = write!(
            o,
            "<tr title=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"o-{origin}\">{origin}</td><td>{}</td><td class=\"num\">{:.2}</td><td>{}</td><td class=\"loc\">{}</td></tr>",
            escape(&c.id),
            escape(&c.name),
            escape(c.version.as_deref().unwrap_or("")),
            super::props::kind_str(c),
            escape(v.map(|v| v.name.as_str()).unwrap_or("unknown")),
            escape(&v.and_then(owner_country).unwrap_or_default()),
            escape(v.and_then(|v| v.ultimate_owner.as_deref()).unwrap_or("")),
            escape(c.category_id().unwrap_or("")),
            c.confidence,
            escape(c.root.as_deref().unwrap_or("")),
            escape(c.locations.first().map(String::as_str).unwrap_or(""))
        );
    }
    o.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(escape("a\"b'c&"), "a&quot;b&#39;c&amp;");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
