"""Every SMS template, in every shipped language, with names and places typical of that
language, stays within its segment budget: 2 parts in Latin scripts, 3 in others.

The names are the point: one "í" or "ã" used to turn a whole Latin-script SMS into UCS-2
(#13: "Lucía", "João", "Atlântico"). The budget holds because names and places are written in
GSM-7 when the text is (notifications.gsm), not because the sample names avoid accents.
"""

from __future__ import annotations

from datetime import date, time

import pytest

from journey.config import SUPPORTED_LANGUAGES
from journey.employers.onboarding import STEP_TITLES
from journey.referrals.messages import compact_hours, fit
from journey.stages.checklists import REMINDERS
from notifications import segments
from notifications.templates import COUNTRY, DATE, TEMPLATES, TEXT, URL, render, templates_for

LATIN = {"en", "fr", "es", "pt", "fil", "id"}

# Per language: a given name, a family name (in the reference-free texts only the given name
# shows), a centre, a city, an employer, a service, a destination and its emergency number.
PEOPLE = {
    "en": ("Bridget", "O'Sullivan", "Manchester Migrant Hub", "Manchester",
           "Northern Care Homes Ltd", "Manchester Jobcentre Plus", "GB", "999"),
    "es": ("Lucía", "Núñez Íñiguez", "Centro de Atención al Migrante de Málaga", "Málaga",
           "Hostelería Peñíscola S.L.", "Oficina de Empleo de Córdoba", "ES", "112"),
    "pt": ("João", "Conceição Gonçalves", "Centro de Apoio ao Migrante de Évora", "Évora",
           "Hotel Atlântico Lisboa", "Instituto do Emprego e Formação Profissional", "PT", "112"),
    "fr": ("Zoé", "Lefèvre", "Maison des Migrants de Besançon", "Besançon",
           "Hôtellerie Cœur de Loire", "France Travail Orléans", "FR", "112"),
    "fil": ("Ma. Luz", "Dela Cruz", "Sentro ng Migrante sa Parañaque", "Parañaque",
            "Al Naboodah Construction Group", "POLO Dubai", "AE", "999"),
    "id": ("Siti", "Nurhaliza", "Pusat Layanan Pekerja Migran Surabaya", "Surabaya",
           "Yuan Ching Precision Co.", "Kantor Dagang dan Ekonomi Indonesia", "TW", "110"),
    "ne": ("सुनिता", "श्रेष्ठ", "काठमाडौं आप्रवासी स्रोत केन्द्र", "काठमाडौं",
           "होटल अटलान्टिको लिस्बन", "लिस्बन रोजगार केन्द्र", "PT", "112"),
    "hi": ("प्रियंका", "चौधरी", "लखनऊ प्रवासी संसाधन केंद्र", "लखनऊ",
           "अल फ़ुतैम समूह", "दुबई श्रम सहायता केंद्र", "AE", "999"),
    "bn": ("রহিমা", "খাতুন", "ঢাকা অভিবাসী সম্পদ কেন্দ্র", "ঢাকা",
           "আল রাজি নির্মাণ কোম্পানি", "কুয়েত শ্রম সহায়তা কেন্দ্র", "KW", "112"),
    "ar": ("فاطمة", "الزهراء", "مركز موارد المهاجرين في عمّان", "عمّان",
           "فندق الأطلسي لشبونة", "مركز التوظيف في لشبونة", "PT", "112"),
    "am": ("ትዕግስት", "ወልደማርያም", "የአዲስ አበባ የስደተኞች መረጃ ማዕከል", "አዲስ አበባ",
           "አል ሐቢብ የግንባታ ኩባንያ", "የሪያድ የሥራ ስምሪት ቢሮ", "SA", "911"),
    "km": ("សុខា", "ចាន់", "មជ្ឈមណ្ឌលព័ត៌មានពលករចំណាកស្រុកភ្នំពេញ", "ភ្នំពេញ",
           "ក្រុមហ៊ុនសំណង់ស៊ាមស៊ីមេន", "មជ្ឈមណ្ឌលការងារបាងកក", "TH", "191"),
    "th": ("สมหญิง", "ใจดี", "ศูนย์ข้อมูลแรงงานไทยในต่างประเทศ อุดรธานี", "อุดรธานี",
           "บริษัท ยอนเซ ฟาร์ม จำกัด", "ศูนย์จัดหางานโซล", "KR", "112"),
}
APPOINTMENT = {
    "en": "Pre-departure orientation", "es": "Orientación previa a la partida",
    "pt": "Sessão de orientação", "fr": "Séance d'orientation", "fil": "Oryentasyon bago umalis",
    "id": "Orientasi pra-keberangkatan", "ne": "प्रस्थान पूर्व अभिमुखीकरण",
    "hi": "प्रस्थान-पूर्व अभिविन्यास", "bn": "প্রস্থান-পূর্ব ওরিয়েন্টেশন", "ar": "جلسة توجيه قبل السفر",
    "am": "ከጉዞ በፊት የሚሰጥ ስልጠና", "km": "វគ្គតម្រង់ទិសមុនចេញដំណើរ", "th": "การปฐมนิเทศก่อนเดินทาง",
}
# The longest reminder: the budget must hold for every checklist item.
LONGEST_ITEM = max(REMINDERS.values(), key=lambda r: len(str(r._args[0])))
# The longest onboarding step the participant is told an employer confirmed.
LONGEST_STEP = max(STEP_TITLES.values(), key=lambda t: len(str(t._args[0])))


# A referral's directory entry: free texts of the provider, not translated.
REFERRAL_PROVIDER = "Associação de Apoio Jurídico e Social aos Trabalhadores Migrantes"
REFERRAL_STREET = "Rua Professor Doutor Egas Moniz de Albuquerque 123, 2.º Esquerdo"
REFERRAL_HOURS = [(d, time(9), time(17)) for d in range(1, 6)] + [(6, time(9), time(12, 30))]
REFERRAL_DOCUMENTS = ("Passaporte, autorização de residência, contrato de trabalho, três últimos "
                      "recibos de vencimento, comprovativo de morada")


def params_for(lang: str) -> dict:
    given, _family, centre, city, employer, service, country, emergency = PEOPLE[lang]
    return {
        "name": given, "centre": centre, "reference": "4K7Q-M2XD", "phone": "+351 808 257 257",
        "date": date(2026, 12, 14), "item": LONGEST_ITEM, "what": APPOINTMENT[lang],
        "place": f"{centre}, {city}", "country": country, "emergency": emergency,
        "url": f"https://mrc.example.org/welcome?lang={lang}&country={country}&programme=12",
        "employer": employer, "service": service,
        # The staff messages of grievances: who broke the glass, and a missed deadline as the
        # office's local time (journey.grievances.glass, .sla).
        "opened_by": f"{given} {_family}", "due": "14/12/2026 15:00",
        # Onboarding (journey.employers.notify): the longest step title, the worker's first
        # name, a signed link (about 110 characters of token) and a retention check's months.
        "step": LONGEST_STEP, "worker": given, "months": "12",
        # Referrals (journey.referrals.messages): where the migrant was referred, as the
        # directory holds it (long on purpose: the notice shortens them to fit).
        "provider": f"{employer}, {REFERRAL_PROVIDER}", "address": f"{REFERRAL_STREET}, {city}",
        "hours": compact_hours(REFERRAL_HOURS, lang), "documents": REFERRAL_DOCUMENTS,
    }


# A complaint's reference is its tracking code (journey.grievances.services), longer than a
# participant's.
TRACKING_CODE = "7KQM-2XPA-9RTD"


def _catalog(app) -> dict:
    """The shipped templates, the grievances' own (the resolution with how to appeal), the
    onboarding notice (the step an employer confirmed) and the referral's notice to the migrant
    (where, the address, hours and what to bring). Other domains' templates carry a
    caseworker's free text (caseworker_reply), which no budget bounds, or go by email only (an
    employer's signed link and retention reminder)."""
    return {**TEMPLATES, **{name: t for name, t in templates_for(app).templates.items()
                            if name.startswith(("grievance", "onboarding_step",
                                                "referral_sent"))}}


def _params(name: str, lang: str) -> dict:
    params = params_for(lang)
    if name.startswith("referral_sent"):  # shortened to fit, as the referral's notice does
        declared = {key: params[key] for key in templates_for()[name].params}
        return {**params, **fit(name, lang, declared, params)}
    return {**params, "reference": TRACKING_CODE} if name.startswith("grievance") else params


def test_the_table_covers_every_language_and_param_kind(app):
    assert set(PEOPLE) == set(SUPPORTED_LANGUAGES) == set(APPOINTMENT)
    templates = _catalog(app)
    kinds = {p for t in templates.values() for p in t.params.values()}
    assert kinds <= {TEXT, DATE, URL, COUNTRY}, "a new param kind needs a realistic value here"
    declared = {key for t in templates.values() for key in t.params}
    assert declared <= set(params_for("en")), declared - set(params_for("en"))


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_sms_fits_its_budget_with_names_of_its_language(app, lang):
    budget = 2 if lang in LATIN else 3
    over = []
    with app.app_context():
        for name in sorted(_catalog(app)):
            params = _params(name, lang)
            text = segments.normalise(render(name, lang, params).sms)
            assert "%(" not in text, f"{lang} {name}: unformatted placeholder"
            info = segments.count(text)
            if info.segments > budget:
                over.append(f"{name}: {info.segments} {info.encoding} segments: {text!r}")
            if lang in LATIN:  # a Latin-script text never pays for UCS-2 because of a name
                assert info.encoding == "GSM-7" or not segments.count(
                    segments.normalise(render(name, lang, {**params, **ASCII}).sms)
                ).encoding == "GSM-7", f"{lang} {name}: a name made it UCS-2: {text!r}"
    assert not over, f"{lang}: over budget:\n" + "\n".join(over)


# The same message with ASCII names: shows whether UCS-2 comes from the template or the names.
ASCII = {"name": "Ana", "centre": "MRC", "place": "MRC", "employer": "Hotel", "service": "Office",
         "what": "Orientation"}
