//! Ranking: each service, autostart entry and task gets the highest severity of the rules it
//! meets (`data/severity/rules.toml`, reviewed data like the autostart locations), with every
//! rule met as a reason and its ATT&CK technique. A responder tool's footprint
//! (`data/severity/responder_tools.toml`) is labelled and ranked `info`, never hidden.

use std::sync::OnceLock;

use konseki_model::{
    AutostartReport, Execution, Flag, HostReport, Ranking, Residency, ServiceReport, Severity,
    SeverityReason, TaskReport,
};
use serde::Deserialize;

const RULES: &str = include_str!("../../../data/severity/rules.toml");
const RESPONDER_TOOLS: &str = include_str!("../../../data/severity/responder_tools.toml");

/// The entities a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A service.
    Service,
    /// An autostart entry.
    Autostart,
    /// A scheduled task.
    Task,
}

/// One condition of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    /// The entity carries the flag.
    Flag(Flag),
    /// Its execution verdict is `executed`.
    Executed,
    /// A service started again and again after failures.
    SemiResident,
}

impl std::str::FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Condition, String> {
        use serde::de::{value::Error, value::StrDeserializer};
        match s {
            "executed" => Ok(Condition::Executed),
            "semi_resident" => Ok(Condition::SemiResident),
            _ => {
                let id = s
                    .strip_prefix("flag:")
                    .ok_or_else(|| format!("`{s}`: not a condition"))?;
                Flag::deserialize(StrDeserializer::<Error>::new(id))
                    .map(Condition::Flag)
                    .map_err(|_| format!("`{id}`: no such attention flag"))
            }
        }
    }
}

/// A severity rule as written in the data file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleText {
    id: String,
    severity: Severity,
    kinds: Vec<Kind>,
    all: Vec<String>,
    attack: Option<String>,
    why: String,
}

/// A severity rule.
#[derive(Debug)]
pub struct Rule {
    id: String,
    severity: Severity,
    kinds: Vec<Kind>,
    all: Vec<Condition>,
    attack: Option<String>,
    why: String,
}

/// A responder's tool, as written in the data file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    name: String,
    services: Vec<String>,
    programs: Vec<String>,
    why: String,
}

#[derive(Debug, Deserialize)]
struct RuleFile {
    rule: Vec<RuleText>,
}

#[derive(Debug, Deserialize)]
struct ToolFile {
    tool: Vec<Tool>,
}

/// Parses a rule file; every problem is named.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, String> {
    let file: RuleFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut rules = Vec::with_capacity(file.rule.len());
    for r in file.rule {
        let all = r
            .all
            .iter()
            .map(|c| c.parse())
            .collect::<Result<Vec<Condition>, String>>()
            .map_err(|e| format!("rule {}: {e}", r.id))?;
        if all.is_empty() || r.kinds.is_empty() {
            return Err(format!("rule {}: no condition or no kind", r.id));
        }
        rules.push(Rule {
            id: r.id,
            severity: r.severity,
            kinds: r.kinds,
            all,
            attack: r.attack,
            why: r.why,
        });
    }
    Ok(rules)
}

/// The built-in rules (checked by a test: they are ours, not evidence).
pub fn builtin_rules() -> &'static [Rule] {
    static RULES_PARSED: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES_PARSED.get_or_init(|| parse_rules(RULES).expect("data/severity/rules.toml is valid"))
}

fn builtin_tools() -> &'static [Tool] {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        toml::from_str::<ToolFile>(RESPONDER_TOOLS)
            .expect("data/severity/responder_tools.toml is valid")
            .tool
    })
}

/// What the rules look at in an entity.
struct Facts<'a> {
    kind: Kind,
    /// Its own ATT&CK technique.
    attack: &'a str,
    execution: Execution,
    semi_resident: bool,
    flags: Vec<Flag>,
    /// Names a responder tool is known by (service key name).
    names: Vec<&'a str>,
    /// The programs it runs.
    programs: Vec<&'a str>,
}

/// Ranks every entity of the report.
pub fn rank_report(report: &mut HostReport) {
    let rules = builtin_rules();
    for s in &mut report.services {
        let stock_in = std::mem::take(&mut s.ranking.stock_in);
        s.ranking = rank(rules, &service_facts(s));
        s.ranking.stock_in = stock_in;
    }
    for a in &mut report.autostarts {
        a.ranking = rank(rules, &autostart_facts(a));
    }
    for t in &mut report.tasks {
        t.ranking = rank(rules, &task_facts(t));
    }
}

fn service_facts(s: &ServiceReport) -> Facts<'_> {
    Facts {
        kind: Kind::Service,
        attack: "T1543.003",
        execution: s.verdict.execution,
        semi_resident: s.verdict.residency == Residency::SemiResident,
        flags: s.attention.iter().map(|a| a.id).collect(),
        names: std::iter::once(s.name.as_str()).collect(),
        programs: s
            .configs
            .iter()
            .filter_map(|c| c.image_path.as_ref())
            .map(|i| i.executable.as_str())
            .collect(),
    }
}

fn autostart_facts(a: &AutostartReport) -> Facts<'_> {
    Facts {
        kind: Kind::Autostart,
        attack: &a.entry.attack,
        execution: a.execution,
        semi_resident: false,
        flags: a.attention.iter().map(|f| f.id).collect(),
        names: Vec::new(),
        programs: a.entry.program.as_deref().into_iter().collect(),
    }
}

fn task_facts(t: &TaskReport) -> Facts<'_> {
    Facts {
        kind: Kind::Task,
        attack: "T1053.005",
        execution: t.execution,
        semi_resident: false,
        flags: t.attention.iter().map(|f| f.id).collect(),
        names: Vec::new(),
        programs: t.programs(),
    }
}

/// The rules `facts` meets, most severe first; `info` and the tool when it is a responder's.
fn rank(rules: &[Rule], facts: &Facts) -> Ranking {
    let mut reasons: Vec<SeverityReason> = rules
        .iter()
        .filter(|r| r.kinds.contains(&facts.kind) && r.all.iter().all(|c| holds(*c, facts)))
        .map(|r| SeverityReason {
            rule: r.id.clone(),
            severity: r.severity,
            attack: r.attack.clone().unwrap_or_else(|| facts.attack.to_string()),
            why: r.why.clone(),
        })
        .collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.severity));
    let tool = responder_tool(facts);
    Ranking {
        severity: match tool {
            Some(_) => Severity::Info,
            None => reasons.first().map_or(Severity::Info, |r| r.severity),
        },
        severity_reasons: reasons,
        responder_tool: tool,
        stock_in: Vec::new(),
    }
}

fn holds(condition: Condition, facts: &Facts) -> bool {
    match condition {
        Condition::Flag(flag) => facts.flags.contains(&flag),
        Condition::Executed => facts.execution == Execution::Executed,
        Condition::SemiResident => facts.semi_resident,
    }
}

/// The responder tool whose service name or program file name `facts` has.
fn responder_tool(facts: &Facts) -> Option<String> {
    let file_name = |p: &str| p.rsplit(['\\', '/']).next().unwrap_or(p).to_string();
    builtin_tools().iter().find_map(|tool| {
        let by_name = facts
            .names
            .iter()
            .any(|n| tool.services.iter().any(|s| s.eq_ignore_ascii_case(n)));
        let by_program = facts.programs.iter().any(|p| {
            let name = file_name(p);
            tool.programs.iter().any(|t| t.eq_ignore_ascii_case(&name))
        });
        (by_name || by_program).then(|| format!("{}: {}", tool.name, tool.why))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: Kind, execution: Execution, flags: &[Flag]) -> Facts<'static> {
        Facts {
            kind,
            attack: "T1543.003",
            execution,
            semi_resident: false,
            flags: flags.to_vec(),
            names: Vec::new(),
            programs: Vec::new(),
        }
    }

    #[test]
    fn the_builtin_rules_parse_and_each_names_a_known_flag() {
        let rules = builtin_rules();
        assert!(rules.len() >= 30);
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rules.len(), "rule ids are unique");
        assert!(builtin_tools().iter().any(|t| t.name == "FTK Imager"));
        assert!(parse_rules(
            "[[rule]]\nid='x'\nseverity='high'\nkinds=['service']\nall=['flag:no_such']\nwhy=''"
        )
        .is_err());
    }

    /// Every rule is met by an entity built to meet it, and sets its severity and technique.
    #[test]
    fn every_rule_ranks_what_it_describes() {
        for rule in builtin_rules() {
            let flags: Vec<Flag> = rule
                .all
                .iter()
                .filter_map(|c| match c {
                    Condition::Flag(f) => Some(*f),
                    _ => None,
                })
                .collect();
            let mut f = facts(rule.kinds[0], Execution::Executed, &flags);
            f.semi_resident = rule.all.contains(&Condition::SemiResident);
            let ranking = rank(builtin_rules(), &f);
            assert!(ranking.severity >= rule.severity, "{}", rule.id);
            let reason = ranking
                .severity_reasons
                .iter()
                .find(|r| r.rule == rule.id)
                .unwrap_or_else(|| panic!("{} not met", rule.id));
            assert!(reason.attack.starts_with('T'), "{}", rule.id);
            // Without its conditions the rule is not met.
            let bare = rank(
                builtin_rules(),
                &facts(rule.kinds[0], Execution::NoEvidence, &[]),
            );
            assert!(bare.severity_reasons.is_empty() && bare.severity == Severity::Info);
        }
    }

    #[test]
    fn a_responder_tool_is_labelled_and_ranked_info() {
        let mut f = facts(
            Kind::Service,
            Execution::Executed,
            &[Flag::UserWritableImage],
        );
        f.names = vec!["ad_driver"];
        let ranking = rank(builtin_rules(), &f);
        assert_eq!(ranking.severity, Severity::Info);
        assert!(ranking.responder_tool.unwrap().starts_with("FTK Imager"));
        // The rules it met are still listed.
        assert_eq!(
            ranking.severity_reasons[0].rule,
            "ran_from_user_writable_place"
        );
    }
}
