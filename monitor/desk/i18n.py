"""The interface's words in Arabic (the default, right to left) and English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "ar": {
        "app": "مكتب الرصد", "inbox": "صندوق التنبيهات", "search": "البحث", "feeds": "المصادر",
        "topics": "المواضيع", "deliveries": "الإرسال", "login": "تسجيل الدخول", "logout": "خروج",
        "user": "المستخدم", "password": "كلمة المرور", "bad_login": "اسم المستخدم أو كلمة المرور غير صحيحة",
        "topic": "الموضوع", "source": "المصدر", "from": "من", "to": "إلى", "state": "الحالة", "all": "الكل",
        "read": "مقروء", "unread": "غير مقروء", "filter": "تصفية", "score": "الدرجة", "threshold": "العتبة",
        "time": "الوقت", "published": "نُشر", "seen": "رُصد", "no_alerts": "لا توجد تنبيهات",
        "relevant": "ذو صلة", "not_relevant": "غير ذي صلة", "judged_relevant": "حُكم عليه: ذو صلة",
        "judged_not_relevant": "حُكم عليه: غير ذي صلة", "mark_read": "تعليم كمقروء",
        "next": "التالي", "previous": "السابق", "original": "المقال الأصلي", "also_published": "نُشر أيضاً في",
        "status_provisional": "مؤقت: بانتظار نص المقال", "status_confirmed": "أكّده نص المقال",
        "status_withdrawn": "سُحب بعد قراءة نص المقال", "status_unconfirmed": "لم يُؤكَّد: تعذّر الوصول إلى نص المقال",
        "basis_headline": "على العنوان وحده",
        "basis_summary": "على العنوان والملخص وحدهما",
        "decision": "القرار", "near_copy_of": "نسخة شبه مطابقة من", "similarity": "التشابه",
        "not_a_copy": "ليس نسخة من مقال سابق", "matched": "مطابق", "not_matched": "غير مطابق",
        "evidence": "الأدلة", "fallback": "النص من ملخص الخلاصة لا من الصفحة", "reason": "السبب",
        "should_have_matched": "كان يجب أن يطابق الموضوع", "send": "إرسال", "feedback": "آراء المحللين",
        "query": "كلمات البحث", "results": "النتائج", "no_results": "لا نتائج", "order": "الترتيب",
        "by_rank": "الأنسب", "by_date": "الأحدث", "name": "الاسم", "url": "الرابط",
        "last_success": "آخر نجاح", "failures": "الإخفاقات", "last_error": "آخر خطأ", "per_day": "مقالات/يوم",
        "enabled": "مفعّل", "disabled": "معطّل", "enable": "تفعيل", "disable": "تعطيل", "add_feed": "إضافة مصدر",
        "add": "إضافة", "rule": "القاعدة", "groups": "المجموعات", "require": "المطلوب", "exclude": "استبعاد",
        "try_it": "جرّبه", "title": "العنوان", "text": "النص", "or_url": "أو رابط مقال", "try": "تجربة",
        "alerts_per_day": "تنبيهات/يوم", "precision": "الدقة حسب المحللين", "missed": "فائتة حسب المحللين",
        "channel": "القناة", "attempts": "المحاولات", "retry": "إعادة المحاولة", "retry_selected": "إعادة المحدد",
        "pending": "قيد الانتظار", "failed": "فشل نهائياً", "delivered": "سُلّم", "next_attempt": "المحاولة التالية",
        "no_deliveries": "لا عمليات إرسال معلّقة أو فاشلة", "language": "English", "forbidden": "غير مسموح",
        "not_found": "غير موجود", "text_of_article": "نص المقال", "copies": "نسخ", "story": "القصة",
        "retried": "أعيدت جدولة", "added": "أضيف", "exists": "موجود مسبقاً", "re-enabled": "أعيد تفعيله",
        "saved": "حُفظ", "page": "صفحة", "none": "لا شيء", "description": "الوصف", "terms": "الكلمات",
        "weight": "الوزن", "breakdown": "تفصيل الدرجة",
    },
    "en": {
        "app": "Monitor desk", "inbox": "Inbox", "search": "Search", "feeds": "Feeds", "topics": "Topics",
        "deliveries": "Deliveries", "login": "Log in", "logout": "Log out", "user": "User", "password": "Password",
        "bad_login": "Wrong user name or password", "topic": "Topic", "source": "Source", "from": "From",
        "to": "To", "state": "State", "all": "All", "read": "Read", "unread": "Unread", "filter": "Filter",
        "score": "Score", "threshold": "Threshold", "time": "Time", "published": "Published", "seen": "Seen",
        "no_alerts": "No alerts", "relevant": "Relevant", "not_relevant": "Not relevant",
        "judged_relevant": "Judged relevant", "judged_not_relevant": "Judged not relevant",
        "mark_read": "Mark read", "next": "Next", "previous": "Previous", "original": "Original article",
        "status_provisional": "Provisional: waiting for the article's text",
        "status_confirmed": "Confirmed by the article's text",
        "status_withdrawn": "Withdrawn after the article was read",
        "status_unconfirmed": "Unconfirmed: the article's text never arrived",
        "basis_headline": "on the headline only", "basis_summary": "on the headline and summary only",
        "also_published": "Also published by", "decision": "Decision", "near_copy_of": "Near-copy of",
        "similarity": "Similarity", "not_a_copy": "Not a copy of an earlier article", "matched": "Matched",
        "not_matched": "Not matched", "evidence": "Evidence", "fallback": "Text from the feed summary, not the page",
        "reason": "Reason", "should_have_matched": "Should have matched topic", "send": "Send",
        "feedback": "Analysts' feedback", "query": "Search words", "results": "Results", "no_results": "No results",
        "order": "Order", "by_rank": "Best match", "by_date": "Newest", "name": "Name", "url": "URL",
        "last_success": "Last success", "failures": "Failures", "last_error": "Last error",
        "per_day": "Articles/day", "enabled": "Enabled", "disabled": "Disabled", "enable": "Enable",
        "disable": "Disable", "add_feed": "Add a feed", "add": "Add", "rule": "Rule", "groups": "Groups",
        "require": "Required", "exclude": "Exclude", "try_it": "Try it", "title": "Title", "text": "Text",
        "or_url": "or an article URL", "try": "Try", "alerts_per_day": "Alerts/day",
        "precision": "Precision by analysts", "missed": "Missed by analysts", "channel": "Channel",
        "attempts": "Attempts", "retry": "Retry", "retry_selected": "Retry selected", "pending": "Pending",
        "failed": "Dead-lettered", "delivered": "Delivered", "next_attempt": "Next attempt",
        "no_deliveries": "No pending or failed deliveries", "language": "العربية", "forbidden": "Forbidden",
        "not_found": "Not found", "text_of_article": "Article text", "copies": "Copies", "story": "Story",
        "retried": "Requeued", "added": "Added", "exists": "Already monitored", "re-enabled": "Re-enabled",
        "saved": "Saved", "page": "Page", "none": "None", "description": "Description", "terms": "Terms",
        "weight": "Weight", "breakdown": "Score breakdown",
    },
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["ar"])


def direction(language: str) -> str:
    return "rtl" if language == "ar" else "ltr"
