namespace MobileJpki.Ra;

/// <summary>Told when phones have new notices, so long-polls can return at once.</summary>
public interface IPhoneNotifier
{
    void Notify(string phoneId);
}
