//! The words the widget shows, in English and French.
//!
//! Status and type names stay the API's in data attributes; here they get the
//! words a reader expects. Every string the widget shows comes from here, so a
//! French page never shows English.

use super::launch::{LaunchOutcome, RetryKind};
use super::policy::Problem;
use super::task::{display_safe, TaskStatus, TaskType};

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// French.
    Fr,
}

impl Lang {
    /// Picks the language for a BCP 47 tag such as `fr-FR`; unknown tags give English.
    pub fn from_tag(tag: &str) -> Self {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// The BCP 47 tag given to the browser's `Intl` formatters.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// Fixed texts of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Accessible name of the progress bar.
    ProgressLabel,
    /// Shown before the first response.
    Loading,
    /// Badge text when requests failed before any task arrived.
    NoData,
    /// Badge text for a task without a status.
    StatusMissing,
    /// Label of the creation time.
    Created,
    /// Label of the completion time.
    CompletedAt,
    /// Label of the task type.
    Type,
    /// Placeholder for a date that did not parse.
    InvalidDate,
    /// Placeholder for a missing value.
    Unknown,
    /// Label of the time of the last successful update, while it is stale.
    LastUpdated,
    /// Button that sends a request at once.
    RetryNow,
    /// Button that asks again for a task that was not found.
    CheckAgain,
    /// Label of the time of the next request.
    NextTry,
    /// Shown when the task id is empty or not usable in a URL.
    InvalidTaskId,
    /// Label of the task id.
    TaskId,
    /// Title of the standalone page.
    PageTitle,
    /// Label of the page's task id field.
    TaskIdField,
    /// Label of the page's API key field.
    ApiKeyField,
    /// Hint under the API key field.
    ApiKeyHint,
    /// The page's button that starts watching.
    Watch,
    /// Heading of the simulator's task list.
    DemoTasks,
    /// Button that asks the simulator for a new task.
    NewDemoTask,
    /// Shown when the simulator did not create a task.
    NewDemoTaskFailed,
    /// Heading of the simulator's presets of misbehaviour.
    Scenarios,
    /// Label of the time since the task was created, while it runs.
    Elapsed,
    /// Label of the time from creation to completion.
    Duration,
    /// Label of the throughput.
    Pace,
    /// Label of the estimated time remaining.
    TimeLeft,
    /// Button that watches the retry already running.
    WatchRunning,
    /// Accessible name of the group of launcher buttons.
    LauncherLabel,
}

/// Returns the text in `lang`.
pub fn text(lang: Lang, text: Text) -> &'static str {
    use Lang::{En, Fr};
    match (text, lang) {
        (Text::ProgressLabel, En) => "Task progress",
        (Text::ProgressLabel, Fr) => "Progression de la tâche",
        (Text::Loading, En) => "Loading the task…",
        (Text::Loading, Fr) => "Chargement de la tâche…",
        (Text::NoData, En) => "No data",
        (Text::NoData, Fr) => "Aucune donnée",
        (Text::StatusMissing, En) => "Status unknown",
        (Text::StatusMissing, Fr) => "Statut inconnu",
        (Text::Created, En) => "Created",
        (Text::Created, Fr) => "Créée",
        (Text::CompletedAt, En) => "Completed",
        (Text::CompletedAt, Fr) => "Terminée",
        (Text::Type, En) => "Type",
        (Text::Type, Fr) => "Type",
        (Text::InvalidDate, En) => "invalid date",
        (Text::InvalidDate, Fr) => "date invalide",
        (Text::Unknown, En) => "unknown",
        (Text::Unknown, Fr) => "inconnu",
        (Text::LastUpdated, En) => "Last updated",
        (Text::LastUpdated, Fr) => "Dernière mise à jour",
        (Text::RetryNow, En) => "Retry now",
        (Text::RetryNow, Fr) => "Réessayer maintenant",
        (Text::CheckAgain, En) => "Check again",
        (Text::CheckAgain, Fr) => "Vérifier à nouveau",
        (Text::NextTry, En) => "Next try",
        (Text::NextTry, Fr) => "Prochain essai",
        (Text::InvalidTaskId, En) => "This task id cannot be requested.",
        (Text::InvalidTaskId, Fr) => "Cet identifiant de tâche ne peut pas être demandé.",
        (Text::TaskId, En) => "Task ID",
        (Text::TaskId, Fr) => "Identifiant",
        (Text::PageTitle, En) => "Task status",
        (Text::PageTitle, Fr) => "État de la tâche",
        (Text::TaskIdField, En) => "Task ID",
        (Text::TaskIdField, Fr) => "Identifiant de la tâche",
        (Text::ApiKeyField, En) => "API key",
        (Text::ApiKeyField, Fr) => "Clé d’API",
        (Text::ApiKeyHint, En) => "Kept in this tab only; sent as a request header, never in the address.",
        (Text::ApiKeyHint, Fr) => "Gardée dans cet onglet seulement, envoyée en en-tête de requête, jamais dans l’adresse.",
        (Text::Watch, En) => "Watch",
        (Text::Watch, Fr) => "Suivre",
        (Text::DemoTasks, En) => "Simulator tasks",
        (Text::DemoTasks, Fr) => "Tâches du simulateur",
        (Text::NewDemoTask, En) => "Start a new simulated task",
        (Text::NewDemoTask, Fr) => "Lancer une nouvelle tâche simulée",
        (Text::NewDemoTaskFailed, En) => "The simulator did not create a task.",
        (Text::NewDemoTaskFailed, Fr) => "Le simulateur n’a pas créé de tâche.",
        (Text::Scenarios, En) => "Start a task that misbehaves",
        (Text::Scenarios, Fr) => "Lancer une tâche qui se comporte mal",
        (Text::Elapsed, En) => "Running for",
        (Text::Elapsed, Fr) => "En cours depuis",
        (Text::Duration, En) => "Duration",
        (Text::Duration, Fr) => "Durée",
        (Text::Pace, En) => "Pace",
        (Text::Pace, Fr) => "Rythme",
        (Text::TimeLeft, En) => "Time left",
        (Text::TimeLeft, Fr) => "Temps restant",
        (Text::WatchRunning, En) => "Watch it",
        (Text::WatchRunning, Fr) => "La suivre",
        (Text::LauncherLabel, En) => "Start a retry",
        (Text::LauncherLabel, Fr) => "Lancer une relance",
    }
}

/// Returns the words for a status, such as "In progress" or "Unknown (PAUSED)".
pub fn status_name(lang: Lang, status: &TaskStatus) -> String {
    let known = match (status, lang) {
        (TaskStatus::Pending, Lang::En) => "Pending",
        (TaskStatus::Pending, Lang::Fr) => "En attente",
        (TaskStatus::InProgress, Lang::En) => "In progress",
        (TaskStatus::InProgress, Lang::Fr) => "En cours",
        (TaskStatus::Completed, Lang::En) => "Completed",
        (TaskStatus::Completed, Lang::Fr) => "Terminée",
        (TaskStatus::Canceled, Lang::En) => "Canceled",
        (TaskStatus::Canceled, Lang::Fr) => "Annulée",
        (TaskStatus::Failed, Lang::En) => "Failed",
        (TaskStatus::Failed, Lang::Fr) => "Échouée",
        (TaskStatus::Unknown(raw), Lang::En) => return format!("Unknown ({})", display_safe(raw)),
        (TaskStatus::Unknown(raw), Lang::Fr) => return format!("Inconnu ({})", display_safe(raw)),
    };
    known.to_owned()
}

/// Returns the words for a task type; an unknown type is shown as received.
pub fn type_name(lang: Lang, task_type: &TaskType) -> String {
    let known = match (task_type, lang) {
        (TaskType::PushFailedTrips, Lang::En) => "Retry of failed trips",
        (TaskType::PushFailedTrips, Lang::Fr) => "Relance des trajets en échec",
        (TaskType::PushFailedCrashes, Lang::En) => "Retry of failed crashes",
        (TaskType::PushFailedCrashes, Lang::Fr) => "Relance des accidents en échec",
        (TaskType::Unknown(raw), _) => return display_safe(raw),
    };
    known.to_owned()
}

/// Returns "240 of 321 items" with the numbers already formatted for `lang`.
pub fn items_done(lang: Lang, done: &str, total: &str) -> String {
    match lang {
        Lang::En => format!("{done} of {total} items"),
        Lang::Fr => format!("{done} sur {total} éléments"),
    }
}

/// Returns the label of a launcher button.
pub fn launch_button(lang: Lang, kind: RetryKind) -> &'static str {
    match (kind, lang) {
        (RetryKind::Trips, Lang::En) => "Retry failed trips",
        (RetryKind::Trips, Lang::Fr) => "Relancer les trajets en échec",
        (RetryKind::Crashes, Lang::En) => "Retry failed crashes",
        (RetryKind::Crashes, Lang::Fr) => "Relancer les accidents en échec",
    }
}

/// Returns the sentence that tells how a retry request ended.
pub fn launch_message(lang: Lang, kind: RetryKind, outcome: &LaunchOutcome) -> String {
    let what = match (kind, lang) {
        (RetryKind::Trips, Lang::En) => "failed trips",
        (RetryKind::Trips, Lang::Fr) => "trajets en échec",
        (RetryKind::Crashes, Lang::En) => "failed crashes",
        (RetryKind::Crashes, Lang::Fr) => "accidents en échec",
    };
    match (outcome, lang) {
        (
            LaunchOutcome::Started {
                nb_items: Some(count),
                ..
            },
            Lang::En,
        ) => {
            format!("Retry started: {count} {what} will be sent again.")
        }
        (
            LaunchOutcome::Started {
                nb_items: Some(count),
                ..
            },
            Lang::Fr,
        ) => {
            format!("Relance lancée : {count} {what} seront renvoyés.")
        }
        (LaunchOutcome::Started { nb_items: None, .. }, Lang::En) => {
            format!("Retry of {what} started.")
        }
        (LaunchOutcome::Started { nb_items: None, .. }, Lang::Fr) => {
            format!("Relance des {what} lancée.")
        }
        (LaunchOutcome::AlreadyRunning { .. }, Lang::En) => {
            format!("A retry of {what} is already running. Wait for it to end.")
        }
        (LaunchOutcome::AlreadyRunning { .. }, Lang::Fr) => {
            format!("Une relance des {what} est déjà en cours. Attendez sa fin.")
        }
        (LaunchOutcome::Unauthorized, Lang::En) => {
            "The API key was rejected. No retry was started.".into()
        }
        (LaunchOutcome::Unauthorized, Lang::Fr) => {
            "La clé d’API a été refusée. Aucune relance lancée.".into()
        }
        (LaunchOutcome::Server(status), Lang::En) => {
            format!("Server error ({status}). No retry was started; try again later.")
        }
        (LaunchOutcome::Server(status), Lang::Fr) => {
            format!("Erreur du serveur ({status}). Aucune relance lancée ; réessayez plus tard.")
        }
        (LaunchOutcome::Unexpected(status), Lang::En) => {
            format!("Unexpected response ({status}). No retry was started.")
        }
        (LaunchOutcome::Unexpected(status), Lang::Fr) => {
            format!("Réponse inattendue ({status}). Aucune relance lancée.")
        }
        (LaunchOutcome::Network, Lang::En) => "Network error. No retry was started.".into(),
        (LaunchOutcome::Network, Lang::Fr) => "Erreur réseau. Aucune relance lancée.".into(),
    }
}

/// Returns the sentence that names the server that receives the API key.
pub fn key_destination(lang: Lang, origin: &str) -> String {
    match lang {
        Lang::En => format!("Sent to {origin}."),
        Lang::Fr => format!("Envoyée à {origin}."),
    }
}

/// Returns a label followed by a colon, as `lang` writes it: "Next try:" or
/// "Prochain essai :" (French puts a narrow no-break space before the colon).
pub fn with_colon(lang: Lang, label: &str) -> String {
    match lang {
        Lang::En => format!("{label}:"),
        Lang::Fr => format!("{label}\u{202f}:"),
    }
}

/// Returns "12 items/min" with the rate already formatted for `lang`.
pub fn items_per_minute(lang: Lang, rate: &str) -> String {
    match lang {
        Lang::En => format!("{rate} items/min"),
        Lang::Fr => format!("{rate} éléments/min"),
    }
}

/// Returns "about 3 min" with the duration already formatted for `lang`;
/// the word says that the figure is an estimate.
pub fn about(lang: Lang, duration: &str) -> String {
    match lang {
        Lang::En => format!("about {duration}"),
        Lang::Fr => format!("environ {duration}"),
    }
}

/// Returns "Updated 3 seconds ago" with the relative time already formatted for `lang`.
pub fn updated(lang: Lang, ago: &str) -> String {
    match lang {
        Lang::En => format!("Updated {ago}"),
        Lang::Fr => format!("Mis à jour {ago}"),
    }
}

/// Returns the sentence a screen reader hears when the status changes,
/// such as "Task completed".
pub fn status_announcement(lang: Lang, status: &TaskStatus) -> String {
    let known = match (status, lang) {
        (TaskStatus::Pending, Lang::En) => "Task pending",
        (TaskStatus::Pending, Lang::Fr) => "Tâche en attente",
        (TaskStatus::InProgress, Lang::En) => "Task in progress",
        (TaskStatus::InProgress, Lang::Fr) => "Tâche en cours",
        (TaskStatus::Completed, Lang::En) => "Task completed",
        (TaskStatus::Completed, Lang::Fr) => "Tâche terminée",
        (TaskStatus::Canceled, Lang::En) => "Task canceled",
        (TaskStatus::Canceled, Lang::Fr) => "Tâche annulée",
        (TaskStatus::Failed, Lang::En) => "Task failed",
        (TaskStatus::Failed, Lang::Fr) => "Tâche échouée",
        (TaskStatus::Unknown(raw), Lang::En) => return format!("Task status unknown: {raw}"),
        (TaskStatus::Unknown(raw), Lang::Fr) => return format!("Statut de tâche inconnu : {raw}"),
    };
    known.to_owned()
}

/// Returns the sentence for a problem: what failed and what happens next.
pub fn problem_message(lang: Lang, problem: &Problem) -> String {
    match (problem, lang) {
        (Problem::Unauthorized, Lang::En) => "The API key was rejected. Polling stopped.".into(),
        (Problem::Unauthorized, Lang::Fr) => {
            "La clé d’API a été refusée. Le suivi est arrêté.".into()
        }
        (Problem::NotFound, Lang::En) => "Task not found. Polling stopped.".into(),
        (Problem::NotFound, Lang::Fr) => "Tâche introuvable. Le suivi est arrêté.".into(),
        (Problem::Rejected(status), Lang::En) => {
            format!("The server rejected the request ({status}). Polling stopped.")
        }
        (Problem::Rejected(status), Lang::Fr) => {
            format!("Le serveur a refusé la requête ({status}). Le suivi est arrêté.")
        }
        (Problem::RateLimited, Lang::En) => "Too many requests, waiting before retrying.".into(),
        (Problem::RateLimited, Lang::Fr) => {
            "Trop de requêtes, nouvel essai un peu plus tard.".into()
        }
        (Problem::Server(status), Lang::En) => format!("Server error ({status}), retrying."),
        (Problem::Server(status), Lang::Fr) => {
            format!("Erreur du serveur ({status}), nouvel essai.")
        }
        (Problem::NotATask(status), Lang::En) => {
            let status = status_in_words(*status);
            format!("The response is not a task (HTTP {status}), retrying.")
        }
        (Problem::NotATask(status), Lang::Fr) => {
            let status = status_in_words(*status);
            format!("La réponse n’est pas une tâche (HTTP {status}), nouvel essai.")
        }
        (Problem::WrongTask(_), Lang::En) => "The server returned another task, retrying.".into(),
        (Problem::WrongTask(_), Lang::Fr) => {
            "Le serveur a renvoyé une autre tâche, nouvel essai.".into()
        }
        (Problem::Network, Lang::En) => "Network error, retrying.".into(),
        (Problem::Network, Lang::Fr) => "Erreur réseau, nouvel essai.".into(),
        (Problem::Timeout, Lang::En) => "The request timed out, retrying.".into(),
        (Problem::Timeout, Lang::Fr) => "La requête a expiré, nouvel essai.".into(),
        (Problem::Offline, Lang::En) => {
            "Offline. Polling resumes when the connection is back.".into()
        }
        (Problem::Offline, Lang::Fr) => {
            "Hors ligne. Le suivi reprendra au retour de la connexion.".into()
        }
    }
}

/// Returns an HTTP status with its standard reason phrase (RFC 9110), such
/// as "200 OK", or the bare code when the phrase is not in this list.
pub fn status_in_words(status: u16) -> String {
    let phrase = match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        206 => "Partial Content",
        _ => return status.to_string(),
    };
    format!("{status} {phrase}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_from_tag_variants() {
        assert_eq!(Lang::from_tag("fr"), Lang::Fr);
        assert_eq!(Lang::from_tag("fr-FR"), Lang::Fr);
        assert_eq!(Lang::from_tag("FR_ca"), Lang::Fr);
        assert_eq!(Lang::from_tag("en-GB"), Lang::En);
        assert_eq!(Lang::from_tag("de"), Lang::En);
        assert_eq!(Lang::from_tag(""), Lang::En);
    }

    #[test]
    fn status_name_unknown_shows_raw() {
        let paused = TaskStatus::Unknown("PAUSED".into());
        assert_eq!(status_name(Lang::En, &paused), "Unknown (PAUSED)");
        assert_eq!(status_name(Lang::Fr, &paused), "Inconnu (PAUSED)");
    }

    #[test]
    fn type_name_unknown_shows_raw() {
        let events = TaskType::Unknown("PUSH_FAILED_EVENTS".into());
        assert_eq!(type_name(Lang::Fr, &events), "PUSH_FAILED_EVENTS");
    }

    #[test]
    fn server_error_message_names_status() {
        assert_eq!(
            problem_message(Lang::En, &Problem::Server(502)),
            "Server error (502), retrying."
        );
    }

    #[test]
    fn not_a_task_message_names_status() {
        let message = problem_message(Lang::En, &Problem::NotATask(200));
        assert_eq!(
            message,
            "The response is not a task (HTTP 200 OK), retrying."
        );
        assert_eq!(status_in_words(299), "299");
    }

    #[test]
    fn french_texts_differ_from_english() {
        let all = [
            Text::ProgressLabel,
            Text::Loading,
            Text::NoData,
            Text::StatusMissing,
            Text::Created,
            Text::CompletedAt,
            Text::InvalidDate,
            Text::Unknown,
            Text::LastUpdated,
            Text::RetryNow,
            Text::CheckAgain,
            Text::NextTry,
            Text::InvalidTaskId,
            Text::TaskId,
            Text::PageTitle,
            Text::TaskIdField,
            Text::ApiKeyField,
            Text::ApiKeyHint,
            Text::Watch,
            Text::DemoTasks,
            Text::NewDemoTask,
            Text::NewDemoTaskFailed,
            Text::Scenarios,
            Text::Elapsed,
            Text::Duration,
            Text::Pace,
            Text::TimeLeft,
            Text::WatchRunning,
            Text::LauncherLabel,
        ];
        for item in all {
            assert_ne!(text(Lang::En, item), text(Lang::Fr, item), "{item:?}");
        }
    }
}
