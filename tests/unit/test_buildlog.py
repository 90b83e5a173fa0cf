from dockyard.lessons.buildlog import step_images, step_kinds

LOG = """Step 1/7 : ARG BASE_IMAGE
Step 2/7 : FROM ${BASE_IMAGE}
 ---> 631308dc4523
Step 3/7 : RUN apt-get install -y nodejs
 ---> Using cache
 ---> b5ba93685ebe
Step 4/7 : WORKDIR /src
 ---> Using cache
 ---> 1a2b3c4d5e6f
Step 5/7 : COPY . /src
 ---> 9f8e7d6c5b4a
Step 6/7 : RUN node --check index.js
 ---> Running in 0123456789ab
Removing intermediate container 0123456789ab
 ---> aabbccddeeff
Step 7/7 : CMD ["index.js"]
 ---> Running in 111111111111
 ---> 222222222222
Successfully built 222222222222""".splitlines()


def test_each_step_is_base_cached_or_ran():
    assert step_kinds(LOG) == ["base", "base", "cached", "cached", "ran", "ran", "ran"]


def test_a_fully_cached_rebuild_ran_nothing():
    log = ["Step 1/3 : FROM x", " ---> 1", "Step 2/3 : RUN a", " ---> Using cache", " ---> 2",
           "Step 3/3 : CMD b", " ---> Using cache", " ---> 3"]
    assert step_kinds(log).count("ran") == 0


def test_multi_stage_froms_are_base():
    log = ["Step 1/4 : FROM py AS build", "Step 2/4 : RUN make", " ---> Running in 1",
           "Step 3/4 : FROM small", "Step 4/4 : COPY --from=build /out /www"]
    assert step_kinds(log) == ["base", "ran", "base", "ran"]


def test_no_steps():
    assert step_kinds([]) == []


def test_step_images_are_the_images_named_by_arrows():
    assert step_images(LOG) == {"631308dc4523", "b5ba93685ebe", "1a2b3c4d5e6f", "9f8e7d6c5b4a",
                                "aabbccddeeff", "222222222222"}


def test_step_images_skip_running_and_cache_lines_and_read_stream_chunks():
    chunks = [" ---> Running in 2dc8f9f1f8c3\n", " ---> Removed intermediate container 2dc8f9f1f8c3\n",
              " ---> e788a85a863f\n", " ---> Using cache\n", "Successfully built e788a85a863f\n"]
    assert step_images(chunks) == {"e788a85a863f"}
