namespace DeployMatrix.Engine.Notifications;

/// <summary>How deliveries are bounded, so no receiver can hold up a command for long.</summary>
public sealed record NotifyOptions
{
    /// <value>How long one HTTP request may take; the default is 5 seconds.</value>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <value>Requests per delivery, the first included; retried on no answer, 429 and 5xx. The default is 3.</value>
    public int Attempts { get; init; } = 3;

    /// <value>The first retry's delay, doubling (with jitter) after it; the default is 1 second.</value>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <value>How long one delivery may take with all its retries; the default is 20 seconds.</value>
    public TimeSpan DeliveryDeadline { get; init; } = TimeSpan.FromSeconds(20);

    /// <value>Events a channel holds while it delivers earlier ones; more are dropped (and recorded so). The default is 100.</value>
    public int QueueCapacity { get; init; } = 100;

    /// <value>How long a command waits at its end for deliveries still under way; what is left is stopped and recorded. The default is 10 seconds.</value>
    public TimeSpan ExitDeadline { get; init; } = TimeSpan.FromSeconds(10);
}
