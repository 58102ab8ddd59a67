//! The HTML report's search box: the report's one script, allowed by its hash in the page's
//! Content-Security-Policy (no other script can run, inline or fetched).
//!
//! The script only reads `textContent` and toggles a class: nothing from the evidence is ever
//! parsed as HTML by it. Without script (a viewer that runs none, or a printout) the box stays
//! hidden and every card is shown. `#search=TEXT` in the address pre-fills it, so a link can
//! point at a search (and the browser test can run one).

/// Hides every element marked `data-search` whose text does not hold the query (any case),
/// and says how many are shown.
pub const SCRIPT: &str = "(function () {
  var box = document.getElementById('search');
  var count = document.getElementById('search-count');
  var items = document.querySelectorAll('[data-search]');
  function apply() {
    var q = box.value.trim().toLowerCase();
    var shown = 0;
    items.forEach(function (el) {
      var miss = q !== '' && el.textContent.toLowerCase().indexOf(q) < 0;
      el.classList.toggle('unmatched', miss);
      if (!miss) { shown += 1; }
    });
    count.textContent = q === '' ? '' : shown + ' of ' + items.length + ' rows and cards hold it';
  }
  box.parentNode.hidden = false;
  box.addEventListener('input', apply);
  var asked = /^#search=(.*)$/.exec(location.hash);
  if (asked) { box.value = decodeURIComponent(asked[1]); apply(); }
})();";

/// `'sha256-…'` of [`SCRIPT`], as the policy names it (checked by a test).
pub const SCRIPT_HASH: &str = "'sha256-DoJS7hnkIa+Kz82Mh2Ah/V5T38z0wG05LtyLiOy/u2k='";

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// The hash the policy allows is the script's: an edit to the script that forgets the
    /// hash fails here, not silently in a browser.
    #[test]
    fn the_policy_names_the_scripts_hash() {
        let hash = base64(&Sha256::digest(super::SCRIPT.as_bytes()));
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(super::SCRIPT_HASH, format!("'sha256-{hash}'"));
    }
}
