//! The HTML report in a real browser (Debian `chromium`, headless): hostile strings from the
//! evidence are shown literally and run nothing.

mod common;

use std::path::Path;
use std::process::Command;

use common::{konseki, temp_case};
use konseki_forge::scenario::Scenario;

/// A display name and a program path written to break out of every HTML context.
const HOSTILE: &str = "\"><svg onload=document.title='pwned'><script>document.title='pwned'</script>\u{202E}exe.txt javascript:document.title='pwned' <img src=x onerror=document.title='pwned'>";

fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

/// The search box's script runs (the policy allows it by its hash) and hides what does not
/// hold the text: searched from the address (`#search=`), a string of the hostile display
/// name keeps the card (the findings row, which shows the service name only, is hidden), a
/// string nowhere hides both.
fn search_runs_under_the_policy(page: &Path) {
    let card = |dom: &str| {
        let at = dom
            .find("<details id=\"host-0-entity-0\"")
            .expect("the card");
        dom[at..at + 80].to_string()
    };
    let found = chromium(
        &["--dump-dom"],
        &page.with_extension("html#search=javascript%3Adocument"),
    );
    let dom = String::from_utf8_lossy(&found.stdout);
    assert!(
        dom.contains("search-count\">1 of 2 rows and cards hold it"),
        "{dom}"
    );
    assert!(!card(&dom).contains("unmatched"), "{}", card(&dom));
    assert!(!String::from_utf8_lossy(&found.stderr).contains("Refused to"));
    let missed = chromium(
        &["--dump-dom"],
        &page.with_extension("html#search=no%20such%20text"),
    );
    let dom = String::from_utf8_lossy(&missed.stdout);
    assert!(
        dom.contains("search-count\">0 of 2 rows and cards hold it"),
        "{dom}"
    );
    assert!(
        card(&dom).contains("class=\"sev-critical unmatched\""),
        "{}",
        card(&dom)
    );
}

/// The reference case with hostile strings in its service's display name and image path,
/// reported as HTML and loaded by chromium: the page's title is konseki's, no element the
/// strings spell exists, the strings are in the page as text, nothing was refused or thrown
/// on the console. A page of the same browser run with a script does change its title: the
/// check is not vacuous. A screenshot is left in `target/` for a human look.
#[test]
fn the_html_report_of_hostile_evidence_runs_nothing() {
    if !konseki_testutil::tool_available(
        Command::new("chromium").arg("--version"),
        "chromium",
        "KONSEKI_REQUIRE_CHROMIUM",
    ) {
        return;
    }
    let case = temp_case("html-hostile");
    let mut scenario = Scenario::builtin("service-timeout").unwrap();
    scenario.services[0].display_name = Some(format!("{HOSTILE}{}", "A".repeat(10_000)));
    scenario.services[0].image_path = format!("C:\\ProgramData\\{HOSTILE}.exe");
    scenario.write_tree(&case.join("evidence")).unwrap();
    let page = case.join("report.html");
    let out = konseki(&[
        "report".as_ref(),
        "-q".as_ref(),
        "-o".as_ref(),
        page.as_os_str(),
        case.join("evidence").as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<svg onload") && !html.contains("<img"));
    // One script: the search box's, konseki's own.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script>(function () {\n  var box = document.getElementById('search');"));

    let loaded = chromium(&["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        dom.contains("<title>konseki report: 1 host(s)</title>"),
        "{dom}"
    );
    assert!(!dom.contains("pwned</title>"));
    assert!(!dom.contains("<img"), "<img in the DOM");
    assert_eq!(dom.matches("<script").count(), 1);
    // The filter by severity, without script: radio buttons and `:has()` rules.
    assert!(
        dom.contains("id=\"min-critical\"")
            && html.contains("body:has(#min-high:checked) .sev-medium")
    );
    // One SVG: the host's timeline, konseki's own.
    assert_eq!(dom.matches("<svg").count(), 1);
    assert!(dom.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // The strings are there as text: escaped in the serialised DOM.
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(dom.contains("javascript:document.title='pwned'"));
    let console = String::from_utf8_lossy(&loaded.stderr);
    for bad in ["Refused to", "Uncaught", "CONSOLE"] {
        assert!(!console.contains(bad), "{bad}: {console}");
    }
    search_runs_under_the_policy(&page);
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/html-report.png");
    let screenshot = chromium(
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    assert!(screenshot.status.success() && shot.exists());

    // The same browser runs a page's script: the title check above could fail.
    let control = case.join("control.html");
    std::fs::write(
        &control,
        "<title>before</title><script>document.title='ran'</script>",
    )
    .unwrap();
    let ran = chromium(&["--dump-dom"], &control);
    assert!(String::from_utf8_lossy(&ran.stdout).contains("<title>ran</title>"));
    std::fs::remove_dir_all(&case).ok();
}
