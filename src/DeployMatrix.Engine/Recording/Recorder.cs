using DeployMatrix.State;

namespace DeployMatrix.Engine.Recording;

/// <summary>
/// The one writer of what happened: journal rows, audit records, receipts and the rows that go with them
/// (a rollout's, a gate's). An operation opens its journal with <see cref="Begin"/>, journals its steps,
/// and ends with one call that writes its receipt, then its journal end, its audit record and any row
/// of its own in one store transaction — so the audit chain never names a step the journal lacks, and a
/// crash leaves either all of an ending or none of it. <c>history</c> reads the journal back.
/// </summary>
public sealed class Recorder(StateStore state, ReceiptWriter receipts, string actor)
{
    /// <summary>Who acts: the OS user running the command.</summary>
    public string Actor => actor;

    public ReceiptWriter Receipts => receipts;

    /// <summary>
    /// Opens an operation's journal (its start row, with this process's pid), and ends any earlier operation of the
    /// same action, lane and environment whose process is gone (<see cref="EndInterrupted"/>): this one takes over from it.
    /// </summary>
    public OperationLog Begin(string action, string? lane, string? env, string? detail = null)
    {
        var id = state.BeginOperation(actor, lane, env, action, detail);
        foreach (var gone in state.GoneOperations(action, lane, env, id))
        {
            EndInterrupted(gone, id);
        }

        return new(state, actor, action, lane, env, id);
    }

    /// <summary>
    /// Ends an operation whose process died without ending it: an audit record of its own (<c>ACTION-interrupted</c>,
    /// in its actor's name, with the step it was at) and its journal's end row naming that record, in one transaction —
    /// so history keeps it, with its steps (what it created before it died), once it no longer waits for a person.
    /// </summary>
    private void EndInterrupted(JournalRecord gone, long takenOverBy) => state.Write(() =>
    {
        var at = state.LastStep(gone.Id)?.Step;
        var result = $"interrupted{(at is null ? "" : $" at '{at}'")} ({state.Owner.Describe(gone.Pid ?? 0)} ended); operation #{takenOverBy} took over";
        var inputs = new Dictionary<string, string?>
        {
            ["operation"] = gone.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["began"] = gone.At,
            ["last_step"] = at,
            ["taken_over_by"] = $"operation #{takenOverBy} ({actor})",
        };
        var audit = new AuditLog(state).Append(gone.Actor, $"{gone.Action}-interrupted", gone.Lane, gone.Env, inputs, result, null);
        state.Journal(gone.Id, gone.Actor, gone.Lane, gone.Env, gone.Action, null, "interrupted", result, audit.Id);
    });

    /// <summary>
    /// A decision with no steps of its own (an unfreeze, a gate override): its journal
    /// rows and its audit record, in one transaction.
    /// </summary>
    /// <param name="inputs">What was asked; never secrets.</param>
    /// <param name="evidence">A file the audit record covers by hash (a receipt, a gate's results, a drill's summary).</param>
    /// <param name="detail">The journal's words for it (default: the result).</param>
    public AuditRecord Record(string action, string? lane, string? env, IReadOnlyDictionary<string, string?> inputs, string result, string? evidence = null, string? detail = null) =>
        state.Write(() => Begin(action, lane, env, detail).End(result, inputs, result, evidence, detail));
}

/// <summary>One operation's journal: its steps as they run, and its end with the audit record.</summary>
public sealed class OperationLog
{
    private readonly StateStore _state;
    private readonly string _actor;
    private readonly string _action;
    private readonly string? _lane;
    private readonly string? _env;

    internal OperationLog(StateStore state, string actor, string action, string? lane, string? env, long id)
    {
        _state = state;
        _actor = actor;
        _action = action;
        _lane = lane;
        _env = env;
        Id = id;
    }

    public long Id { get; }

    public bool Ended { get; private set; }

    /// <summary>Journals a step: "started" before it runs, its outcome after; or a moment worth keeping ("recorded").</summary>
    public void Step(string step, string status, string? detail) =>
        _state.Journal(Id, _actor, _lane, _env, _action, step, status, detail);

    /// <summary>A step that is also an audit record of its own (a rollout's stage), written together.</summary>
    /// <param name="actor">Who the rows name when a person asked for the step from another process (a pause from the
    /// dashboard, carried out by the rollout's driver); null: this process's actor.</param>
    public AuditRecord Note(string step, string detail, string auditAction, IReadOnlyDictionary<string, string?> inputs, Action? alsoInTransaction = null, string? actor = null) =>
        _state.Write(() =>
        {
            alsoInTransaction?.Invoke();
            var audit = new AuditLog(_state).Append(actor ?? _actor, auditAction, _lane, _env, inputs, detail, null);
            // The row names its record, so history --steps shows a stage's record with the steps that led to it.
            _state.Journal(Id, actor ?? _actor, _lane, _env, _action, step, "recorded", detail, audit.Id);
            return audit;
        });

    /// <summary>
    /// Ends this process's part in an operation that goes on without it (a rollout paused or held for a
    /// person): the journal's end row, with <paramref name="alsoInTransaction"/>; the operation's own audit
    /// record comes when it ends.
    /// </summary>
    /// <param name="auditInputs">When set, the stop is also an audit record of its own (<c>ACTION-STATUS</c>, e.g.
    /// <c>rollout-held</c>), so <c>history</c> shows a command a signal or a failure stopped.</param>
    public void Stop(string status, string? detail, Action? alsoInTransaction = null, IReadOnlyDictionary<string, string?>? auditInputs = null)
    {
        _state.Write(() =>
        {
            alsoInTransaction?.Invoke();
            var audit = auditInputs is null ? null : new AuditLog(_state).Append(_actor, $"{_action}-{status}", _lane, _env, auditInputs, $"{status}: {detail}", null);
            _state.Journal(Id, _actor, _lane, _env, _action, null, status, detail, audit?.Id);
        });
        Ended = true;
    }

    /// <summary>
    /// Ends the operation after the exception that stopped it: <c>cancelled</c> for a cancel, else <c>failed: MESSAGE</c>
    /// (one line, passed through <paramref name="mask"/> first when the message may echo a value that must not be kept).
    /// </summary>
    public AuditRecord EndOnError(Exception error, IReadOnlyDictionary<string, string?> inputs, Func<string, string>? mask = null) =>
        error is OperationCanceledException
            ? End("cancelled", inputs, "cancelled")
            : End("failed", inputs, $"failed: {Core.Text.UntrustedText.OneLine(mask is null ? error.Message : mask(error.Message))}");

    /// <summary>
    /// Ends the operation: the journal's end row and the audit record (covering <paramref name="evidence"/>
    /// by hash), with <paramref name="alsoInTransaction"/>, in one transaction.
    /// </summary>
    /// <param name="status">The journal's word for the end (succeeded, failed, go, no-go…).</param>
    /// <param name="result">The audit record's result (e.g. "succeeded" or "failed: why").</param>
    /// <param name="actor">Who ended it when that is not this process's actor: the person whose request another process
    /// carried out (an abort or promote from the dashboard or another shell, acted on by the rollout's driver); null: this process's actor.</param>
    public AuditRecord End(string status, IReadOnlyDictionary<string, string?> inputs, string result, string? evidence = null, string? detail = null, Action? alsoInTransaction = null, string? actor = null)
    {
        var audit = _state.Write(() =>
        {
            alsoInTransaction?.Invoke();
            var audit = new AuditLog(_state).Append(actor ?? _actor, _action, _lane, _env, inputs, result, evidence);
            _state.Journal(Id, actor ?? _actor, _lane, _env, _action, null, status, detail ?? result, audit.Id);
            return audit;
        });
        Ended = true;
        return audit;
    }
}
