from monitor.text.urls import canonical_url


def test_tracking_parameters_fragments_and_case_are_dropped() -> None:
    a = canonical_url("HTTPS://Www.Example.com:443/news/1?utm_source=rss&id=5&utm_medium=feed#top")
    b = canonical_url("https://www.example.com/news/1?id=5&fbclid=abc")
    assert a == b == "https://www.example.com/news/1?id=5"


def test_meaningful_query_and_port_are_kept_in_a_stable_order() -> None:
    assert canonical_url("http://h:8080/a?b=2&a=1") == "http://h:8080/a?a=1&b=2"
    assert canonical_url("http://h/a?page=2") != canonical_url("http://h/a?page=3")


def test_arabic_paths_are_left_as_they_are() -> None:
    url = "https://www.alarabiya.net/ar/culture/2018/05/04/%D8%A7%D8%B9%D8%AA%D8%AF%D8%A7%D8%A1"
    assert canonical_url(url) == url
